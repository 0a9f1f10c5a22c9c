"""ID-card reader: the real driver over a real pty against the emulator, and the pure framing
and text decoding under property tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from devices.base import OFFLINE, OK, DeviceError
from devices.idcard import sam
from devices.idcard.emulator import IdCardEmulator, demo_card, demo_photo
from devices.idcard.reader import CardPresented, CardRemoved, IdCardReader
from devices.idcard.text import GENDERS, NATIONS, TEXT_LENGTH, BadCard, IdCard, decode_text, encode_text

TODAY = date(2026, 11, 25)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[IdCardEmulator]:
    # A link gives the device a stable path, so unplug/plug looks like a cable pulled and pushed back.
    emu = IdCardEmulator(link=str(tmp_path / "idcard"))
    emu.start()
    yield emu
    emu.stop()


def open_reader(emulator: IdCardEmulator) -> IdCardReader:
    return IdCardReader.open("serial://" + emulator.device_path + "?baud=115200", timeout=0.5)


@pytest.fixture
def reader(emulator: IdCardEmulator) -> Iterator[IdCardReader]:
    driver = open_reader(emulator)
    yield driver
    driver.close()


# ---------------------------------------------------------------------- driver over a pty
def test_each_presentation_is_read_once(emulator: IdCardEmulator, reader: IdCardReader) -> None:
    assert reader.poll() is None  # empty reader
    emulator.present(demo_card(30, today=TODAY))
    event = reader.poll()
    assert isinstance(event, CardPresented)
    card = event.card
    assert card.name == "张三丰"
    assert card.gender == "男"
    assert card.nation == "汉"
    assert card.birth_date == date(1996, 11, 25)
    assert card.address == "福建省福州市晋安区福新中路88号"
    assert card.authority == "福州市公安局晋安分局"
    assert ric.is_valid(card.id_number) and card.id_number[6:14] == "19961125"
    assert card.valid_from == date(2025, 11, 25) and card.valid_to == date(2045, 11, 25)
    assert card.photo == demo_photo()  # holds the preamble, passed through undecoded

    for _ in range(3):  # the card stays: no event and no second read
        assert reader.poll() is None
    assert emulator.reads_served == 1

    emulator.remove()
    assert isinstance(reader.poll(), CardRemoved)
    assert reader.poll() is None

    emulator.present(demo_card(30, today=TODAY))
    assert isinstance(reader.poll(), CardPresented)
    assert reader.poll() is None
    assert emulator.reads_served == 2
    assert reader.status().state == OK


@pytest.mark.parametrize(("region", "age"), [("350111", 76), ("350181", 66)])
def test_an_elderly_card_from_a_district_named_since_is_read(emulator: IdCardEmulator, reader: IdCardReader,
                                                             region: str, age: int) -> None:
    """晋安区 (350111) and 福清市 (350181) numbers of residents born before stdnum dates those codes
    (1983, 1990): the reader's SAM authenticated the card, so the agent reads it (issue 14)."""
    card = demo_card(age, name="林阿婆", today=TODAY, region=region)
    assert not ric.is_valid(card.id_number)  # stdnum refuses it for its region's history
    emulator.present(card)
    event = reader.poll()
    assert isinstance(event, CardPresented) and event.card.id_number == card.id_number


def test_long_term_card_of_another_nation(emulator: IdCardEmulator, reader: IdCardReader) -> None:
    emulator.present(demo_card(60, nation="回", name="马晓兰", today=TODAY, sequence=124))
    event = reader.poll()
    assert isinstance(event, CardPresented)
    assert event.card.nation == "回" and event.card.name == "马晓兰" and event.card.gender == "女"
    assert event.card.birth_date == date(1966, 11, 25)
    assert event.card.valid_to is None  # 长期


def test_card_swapped_between_polls(emulator: IdCardEmulator, reader: IdCardReader) -> None:
    emulator.present(demo_card(30, today=TODAY))
    assert isinstance(reader.poll(), CardPresented)
    emulator.present(demo_card(50, name="李四", today=TODAY))
    assert isinstance(reader.poll(), CardRemoved)
    event = reader.poll()
    assert isinstance(event, CardPresented) and event.card.name == "李四"
    assert emulator.reads_served == 2


def test_bad_check_digit_is_rejected_without_personal_data_in_log(
    emulator: IdCardEmulator, reader: IdCardReader, caplog: pytest.LogCaptureFixture
) -> None:
    card = demo_card(30, today=TODAY, valid_id=False)
    assert not ric.is_valid(card.id_number)
    caplog.set_level(logging.DEBUG)
    emulator.present(card)
    assert reader.poll() is None
    assert reader.poll() is None  # not re-read while it stays
    assert emulator.reads_served == 1
    emulator.remove()
    assert reader.poll() is None  # nothing was presented, so nothing is removed
    assert "check digit" in caplog.text
    for secret in (card.id_number, card.id_number[:17], card.name, card.address):
        assert secret not in caplog.text
    # A valid card afterwards is read as usual.
    emulator.present(demo_card(30, today=TODAY))
    assert isinstance(reader.poll(), CardPresented)


def test_personal_data_stays_out_of_reprs() -> None:
    card = demo_card(30, today=TODAY)
    for text in (repr(card), str(card), repr(CardPresented(card)), f"{card}"):
        assert card.name not in text and card.id_number not in text and "1996" not in text


def test_garbage_answer_is_retried_not_raised(
    emulator: IdCardEmulator, reader: IdCardReader, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    emulator.present(demo_card(30, today=TODAY))
    emulator.raw_answer = b"\x00\xffnoise" + sam.PREAMBLE + b"\x00\x04\x00\x00\x9f\x00"  # bad checksum
    assert reader.poll() is None
    assert "1 bad frames rejected" in caplog.text
    assert isinstance(reader.poll(), CardPresented)


def test_lost_read_answer_is_read_again_while_card_stays(
    emulator: IdCardEmulator, reader: IdCardReader
) -> None:
    card = demo_card(30, today=TODAY)
    emulator.present(card)
    # The reader serves the read, but its answer arrives with a flipped checksum: the reader now
    # says 80 to find (it thinks the card was read), so the driver must read again on its own.
    good = sam.build_response(sam.SW_OK, b"\x01\x00\x04\x00" + encode_text(card) + card.photo)
    emulator.raw_answer, emulator.raw_answer_to = good[:-1] + bytes([good[-1] ^ 1]), sam.READ_TEXT_PHOTO
    assert reader.poll() is None
    assert reader.frames.rejected >= 1
    event = reader.poll()
    assert isinstance(event, CardPresented) and event.card.photo == card.photo
    assert reader.poll() is None
    assert emulator.reads_served == 2  # the lost one and the good one


def test_emulator_answers_checksum_error(emulator: IdCardEmulator, reader: IdCardReader) -> None:
    request = bytearray(sam.build_request(*sam.FIND_CARD))
    request[-1] ^= 0xFF
    reader.port.write(bytes(request))
    frames = sam.FrameReader()
    answers: list[sam.Response] = []
    while not answers:
        chunk = reader.port.read(16)
        assert chunk, "no answer"
        answers = frames.feed(chunk)
    assert answers[0].sw3 == sam.SW_BAD_CHECKSUM and not answers[0].ok


def test_unplug_raises_and_replug_recovers(emulator: IdCardEmulator, reader: IdCardReader) -> None:
    emulator.present(demo_card(30, today=TODAY))
    assert isinstance(reader.poll(), CardPresented)
    emulator.unplug()
    with pytest.raises(DeviceError):
        reader.poll()
    assert reader.status().state == OFFLINE
    with pytest.raises(DeviceError):
        open_reader(emulator)  # the link is gone while unplugged
    emulator.plug()
    emulator.remove()
    emulator.present(demo_card(40, today=TODAY))
    again = open_reader(emulator)
    try:
        event = again.poll()
        assert isinstance(event, CardPresented) and event.card.birth_date == date(1986, 11, 25)
        assert again.status().state == OK
    finally:
        again.close()


def test_silent_device_raises(tmp_path: Path) -> None:
    class Silent(IdCardEmulator):
        def received(self, data: bytes) -> None:
            pass

    with Silent(link=str(tmp_path / "silent")) as emu:
        driver = IdCardReader.open("serial://" + emu.device_path, timeout=0.3)
        try:
            with pytest.raises(DeviceError):
                driver.poll()
        finally:
            driver.close()


# ---------------------------------------------------------------------- framing properties
def response_frames() -> st.SearchStrategy[bytes]:
    return st.builds(sam.build_response, st.integers(0, 255), st.binary(max_size=300))


def feed_in_chunks(reader: sam.FrameReader, data: bytes, cuts: list[int]) -> list[sam.Response]:
    points = sorted({min(cut, len(data)) for cut in cuts} | {0, len(data)})
    found: list[sam.Response] = []
    for start, end in zip(points, points[1:], strict=False):
        found += reader.feed(data[start:end])
    return found


chunkings = st.lists(st.integers(0, 2000), max_size=20)


@given(st.binary(max_size=2000), chunkings)
def test_random_bytes_never_raise(data: bytes, cuts: list[int]) -> None:
    reader = sam.FrameReader()
    for response in feed_in_chunks(reader, data, cuts):
        assert isinstance(response, sam.Response)


@given(response_frames(), st.data(), chunkings)
def test_truncated_frame_yields_nothing(frame: bytes, data: st.DataObject, cuts: list[int]) -> None:
    cut = data.draw(st.integers(0, len(frame) - 1))
    assert feed_in_chunks(sam.FrameReader(), frame[:cut], cuts) == []


@given(response_frames(), st.integers(1, 255), chunkings)
def test_flipped_checksum_is_rejected_and_counted(frame: bytes, flip: int, cuts: list[int]) -> None:
    reader = sam.FrameReader()
    bad = frame[:-1] + bytes([frame[-1] ^ flip])
    assert feed_in_chunks(reader, bad, cuts) == []
    assert reader.rejected >= 1


noise = st.binary(max_size=200).filter(lambda b: sam.PREAMBLE not in b)


@given(noise, st.integers(0, 255), st.binary(max_size=300), noise, chunkings)
def test_valid_frame_found_in_noise(
    before: bytes, sw3: int, payload: bytes, after: bytes, cuts: list[int]
) -> None:
    found = feed_in_chunks(sam.FrameReader(), before + sam.build_response(sw3, payload) + after, cuts)
    assert sam.Response(sw3, payload) in found


@given(st.binary(max_size=300), response_frames(), st.integers(1, 255), chunkings)
def test_valid_frame_found_after_corrupt_one(
    junk: bytes, frame: bytes, flip: int, cuts: list[int]
) -> None:
    reader = sam.FrameReader()
    bad = frame[:-1] + bytes([frame[-1] ^ flip])
    good = sam.build_response(sam.SW_OK, junk)
    # A corrupt frame followed by a good one: the good one survives, the bad one is counted. The
    # zero tail completes any false frame that resyncing may find inside the corrupt one's data.
    assert sam.Response(sam.SW_OK, junk) in feed_in_chunks(reader, bad + good + bytes(sam.MAX_LENGTH + 8), cuts)
    assert reader.rejected >= 1


def test_request_layout() -> None:
    assert sam.build_request(*sam.FIND_CARD) == bytes.fromhex("AAAAAA9669 0003 2001 22")
    requests = sam.RequestReader().feed(sam.build_request(0x30, 0x01, b"\x05"))
    assert requests == [sam.Request(0x30, 0x01, b"\x05")]


# ---------------------------------------------------------------------- text block
cjk = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), min_size=1, max_size=15)


@st.composite
def cards(draw: st.DrawFn) -> IdCard:
    birth = draw(st.dates(date(1900, 1, 1), date(2099, 12, 31)))
    body = f"110105{birth:%Y%m%d}{draw(st.integers(0, 999)):03d}"
    valid_from = draw(st.dates(date(1000, 1, 1), date(9999, 12, 31)))
    return IdCard(
        name=draw(cjk), gender=draw(st.sampled_from(sorted(GENDERS.values()))),
        nation=draw(st.sampled_from(sorted(NATIONS.values()))), birth_date=birth,
        address=draw(st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=35)),
        id_number=body + ric.calc_check_digit(body + "0"),
        authority=draw(st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FA5), max_size=15)),
        valid_from=valid_from, valid_to=draw(st.none() | st.dates()), photo=draw(st.binary(max_size=1024)),
    )


@settings(max_examples=200)
@given(cards())
def test_text_round_trip(card: IdCard) -> None:
    block = encode_text(card)
    assert len(block) == TEXT_LENGTH
    assert decode_text(block, card.photo) == card


@given(st.binary(min_size=TEXT_LENGTH, max_size=TEXT_LENGTH))
def test_random_text_is_bad_card_or_card(block: bytes) -> None:
    try:
        decode_text(block, b"")
    except BadCard as error:
        assert isinstance(error, ValueError)


def test_bad_cards_have_impersonal_messages() -> None:
    card = demo_card(30, today=TODAY)
    block = encode_text(card)
    cases = {
        "text block": block[:-2],
        "gender": block[:30] + "7".encode("utf-16-le") + block[32:],
        "nation": block[:32] + "77".encode("utf-16-le") + block[36:],
        "birth date": block[:36] + "19961126".encode("utf-16-le") + block[52:],
        "check digit": encode_text(demo_card(30, today=TODAY, valid_id=False)),
    }
    for expected, bad in cases.items():
        with pytest.raises(BadCard, match=expected) as caught:
            decode_text(bad, card.photo)
        assert card.id_number not in str(caught.value) and card.name not in str(caught.value)

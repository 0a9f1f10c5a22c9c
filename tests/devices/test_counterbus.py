"""Counter bus: framing and key logic (pure, with Hypothesis), then the real driver over a pty."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.base import OFFLINE, OK, DeviceError
from devices.counterbus import (
    CounterBus,
    Frame,
    FrameParser,
    KeyAction,
    KeySequencer,
    Rating,
    encode,
    strip_digits,
)
from devices.counterbus.emulator import CounterBusEmulator
from devices.counterbus.framing import MAX_FRAME
from devices.counterbus.keypad import FUNC_KEY, FUNC_RATING, strip_text

CALL, RECALL, EVALUATE, CONFIRM, PAUSE, TRANSFER = 0x0C, 0x0D, 0x0B, 0x0F, 0x12, 0x13


# ---------------------------------------------------------------------------------------- framing
def test_encode_matches_the_contract_example() -> None:
    assert encode(Frame(3, 0x01, b"\x0c")) == bytes.fromhex("FF 68 03 03 68 03 01 0C 10 16")
    assert encode(Frame(3, 0x02, strip_digits("A012"))) == bytes.fromhex(
        "FF 68 08 08 68 03 02 0A 0A 0A 00 01 02 26 16")


def test_parser_rejects_bad_checksum_bad_lengths_and_missing_end() -> None:
    good = encode(Frame(1, 1, b"\x0c"))
    bad_cs = good[:-2] + bytes([good[-2] ^ 1]) + good[-1:]
    bad_len = good[:3] + b"\x04" + good[4:]
    no_end = good[:-1] + b"\x00"
    parser = FrameParser()
    assert parser.feed(bad_cs + bad_len + no_end + good) == [Frame(1, 1, b"\x0c")]
    assert parser.rejected == 3


def test_strip_digits() -> None:
    assert strip_digits("A012") == bytes.fromhex("0A0A0A000102")
    assert strip_digits("") == bytes([0x0A] * 6)
    assert strip_digits("B1234567") == bytes([2, 3, 4, 5, 6, 7])  # the last six
    assert strip_text(strip_digits("A012")) == "   012"


frames_st = st.builds(Frame, st.integers(0, 255), st.integers(0, 255), st.binary(max_size=20))
# Without FF in the data, a cut-off frame's remains cannot hold another frame start.
clean_frames_st = st.builds(Frame, st.integers(0, 255), st.integers(0, 255),
                            st.binary(max_size=20).map(lambda b: b.replace(b"\xff", b"")))


def chunked(data: bytes, cuts: list[int]) -> Iterator[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    for a, b in zip(points, points[1:], strict=False):
        yield data[a:b]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.lists(st.integers(0, 10_000), max_size=30))
def test_parser_never_raises_and_stays_bounded(data: bytes, cuts: list[int]) -> None:
    parser = FrameParser()
    for chunk in chunked(data, cuts):
        for frame in parser.feed(chunk):
            assert encode(frame) in data
        assert parser.pending < MAX_FRAME
    parser.idle()
    assert parser.pending == 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(frames_st, st.binary(max_size=30).map(lambda b: b.replace(b"\xff", b""))),
                max_size=12),
       st.lists(st.integers(0, 10_000), max_size=30))
def test_valid_frames_in_noise_are_all_found(items: list[tuple[Frame, bytes]], cuts: list[int]) -> None:
    # Noise without FF cannot start a frame, so every frame must come out, in order.
    stream = b"".join(noise + encode(frame) for frame, noise in items)
    parser = FrameParser()
    found = [frame for chunk in chunked(stream, cuts) for frame in parser.feed(chunk)]
    assert found + parser.idle() == [frame for frame, _ in items]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(clean_frames_st, st.sampled_from(["good", "bad_cs", "truncated"]), st.integers(1, 80)),
                max_size=12),
       st.lists(st.integers(0, 10_000), max_size=30))
def test_bad_and_truncated_frames_are_rejected_and_counted(items: list[tuple[Frame, str, int]],
                                                           cuts: list[int]) -> None:
    parser = FrameParser()
    found: list[Frame] = []
    bad = 0
    for frame, kind, cut in items:
        raw = encode(frame)
        if kind == "bad_cs":
            raw = raw[:-2] + bytes([raw[-2] ^ (cut % 255 + 1)]) + raw[-1:]
            bad += 1
        elif kind == "truncated":
            raw = raw[: 5 + cut % (len(raw) - 5)]  # header kept, the rest cut somewhere
        for chunk in chunked(raw, cuts):
            found += parser.feed(chunk)
        if kind == "truncated":
            found += parser.idle()  # the sender stopped mid-frame: the line goes quiet
    assert found == [frame for frame, kind, _ in items if kind == "good"]
    assert parser.rejected >= bad + sum(kind == "truncated" for _, kind, _ in items)


# ---------------------------------------------------------------------------------------- keys
def keys(seq: KeySequencer, addr: int, *pressed: int, now: float = 0.0) -> list[KeyAction | Rating]:
    out = [seq.feed(Frame(addr, FUNC_KEY, bytes([key])), now) for key in pressed]
    return [event for event in out if event is not None]


def test_key_sequences() -> None:
    seq = KeySequencer()
    assert keys(seq, 3, CALL) == [KeyAction(3, "call")]
    assert keys(seq, 3, RECALL, EVALUATE, PAUSE) == [KeyAction(3, "recall"), KeyAction(3, "evaluate"),
                                                      KeyAction(3, "pause")]
    assert keys(seq, 3, 6, CONFIRM) == [KeyAction(3, "no_show")]
    assert keys(seq, 3, 3, CONFIRM) == [KeyAction(3, "reinstate")]
    assert keys(seq, 3, TRANSFER, 1, 2, CONFIRM) == [KeyAction(3, "transfer", 12)]
    assert keys(seq, 3, 4, 2, CONFIRM) == []  # unknown sequence: ignored
    assert keys(seq, 3, TRANSFER, CONFIRM) == []  # no target
    # per address: 4's digits do not mix with 5's
    assert keys(seq, 4, 6) + keys(seq, 5, 3) + keys(seq, 4, CONFIRM) == [KeyAction(4, "no_show")]
    assert seq.feed(Frame(7, FUNC_RATING, b"\x05"), 0) == Rating(7, 5)
    assert seq.feed(Frame(7, FUNC_RATING, b"\x06"), 0) is None


def test_half_entered_sequence_expires_after_ten_seconds() -> None:
    seq = KeySequencer()
    assert keys(seq, 2, 6, now=0) == []
    assert keys(seq, 2, CONFIRM, now=10.5) == []
    assert keys(seq, 2, TRANSFER, now=20) + keys(seq, 2, 4, now=29) + keys(seq, 2, CONFIRM, now=38) == [
        KeyAction(2, "transfer", 4)]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.tuples(frames_st, st.floats(0, 100, allow_nan=False)), max_size=40))
def test_sequencer_never_raises(frames: list[tuple[Frame, float]]) -> None:
    seq = KeySequencer()
    for frame, now in frames:
        event = seq.feed(frame, now)
        assert event is None or isinstance(event, KeyAction | Rating)


# ---------------------------------------------------------------------------------------- driver over a pty
@pytest.fixture
def emu() -> Iterator[CounterBusEmulator]:
    emulator = CounterBusEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def bus(emu: CounterBusEmulator) -> Iterator[CounterBus]:
    driver = CounterBus.open("serial://" + emu.device_path + "?baud=9600")
    yield driver
    driver.close()


def events(bus: CounterBus, count: int = 1, within: float = 3.0) -> list[KeyAction | Rating]:
    got: list[KeyAction | Rating] = []
    for _ in range(int(within / 0.1)):
        got += bus.poll(0.1)
        if len(got) >= count:
            break
    return got


def test_call_key_becomes_an_action_and_is_echoed(emu: CounterBusEmulator, bus: CounterBus) -> None:
    sent = emu.press(3, CALL)
    assert events(bus) == [KeyAction(3, "call")]
    assert emu.wait_acknowledged()
    assert emu.acknowledged == sent and emu.unacknowledged() == []


@pytest.mark.parametrize(("pressed", "expected"), [
    ((6, CONFIRM), KeyAction(3, "no_show")),
    ((3, CONFIRM), KeyAction(3, "reinstate")),
    ((TRANSFER, 0, 5, CONFIRM), KeyAction(3, "transfer", 5)),
    ((PAUSE,), KeyAction(3, "pause")),
])
def test_key_sequences_over_the_line(emu: CounterBusEmulator, bus: CounterBus, pressed: tuple[int, ...],
                                     expected: KeyAction) -> None:
    emu.press(3, *pressed)
    assert events(bus) == [expected]
    assert emu.wait_acknowledged()


def test_evaluator_score_becomes_a_rating(emu: CounterBusEmulator, bus: CounterBus) -> None:
    emu.rate(2, 4)
    assert events(bus) == [Rating(2, 4)]
    assert emu.wait_acknowledged()


def test_show_and_beep(emu: CounterBusEmulator, bus: CounterBus) -> None:
    assert bus.show(3, "A012") is True
    assert emu.strip(3) == "   012"
    assert emu.strip(4) == "      "
    assert bus.beep(3) is True and emu.beeps(3) == 1
    assert bus.status().state == OK
    assert bus.poll(0.1) == []  # our own frames' echoes are acks, not actions


def test_silent_strip_is_reported_and_the_line_keeps_working(emu: CounterBusEmulator, bus: CounterBus) -> None:
    emu.silent_addresses.add(5)
    assert bus.show(5, "B007") is False
    assert bus.not_answering() == {5} and bus.status().state != OK
    emu.press(5, CALL)
    assert events(bus) == [KeyAction(5, "call")]
    emu.silent_addresses.clear()
    assert bus.show(5, "B007") is True and emu.strip(5) == "   007"
    assert bus.status().state == OK


def test_keys_pressed_while_show_waits_are_not_lost(emu: CounterBusEmulator, bus: CounterBus) -> None:
    emu.silent_addresses.add(6)
    emu.press(3, CALL)
    bus.show(6, "A001")  # reads (and acks) the key frame while waiting for an echo that never comes
    assert events(bus) == [KeyAction(3, "call")]
    assert emu.wait_acknowledged()


def test_garbage_storm_between_frames(emu: CounterBusEmulator, bus: CounterBus) -> None:
    rng = random.Random(7)
    storm = bytes(rng.randrange(256) for _ in range(500))
    emu.noise(storm + b"\xff\x68\x05\x05\x68\x01")  # a fake header that swallows the next bytes
    emu.press(3, CALL)
    emu.noise(bytes(rng.randrange(256) for _ in range(300)) + b"\xff\x68\x07")
    emu.press(4, 6, CONFIRM)
    got = events(bus, count=2)
    assert got == [KeyAction(3, "call"), KeyAction(4, "no_show")]
    assert bus.rejected > 0


def test_unplug_is_a_device_error(emu: CounterBusEmulator, bus: CounterBus) -> None:
    emu.unplug()
    with pytest.raises(DeviceError):
        for _ in range(50):
            bus.poll(0.1)
    assert bus.status().state == OFFLINE
    with pytest.raises(DeviceError):
        bus.show(3, "A012")


def test_show_from_another_thread_while_polling(emu: CounterBusEmulator, bus: CounterBus) -> None:
    got: list[KeyAction | Rating] = []
    stop = threading.Event()

    def agent_loop() -> None:
        while not stop.is_set():
            got.extend(bus.poll(0.05))

    poller = threading.Thread(target=agent_loop)
    poller.start()
    try:
        emu.press(1, CALL)
        results = [bus.show(1, f"A{n:03d}") for n in range(5)]
        emu.press(1, RECALL)
        assert emu.wait_acknowledged()
    finally:
        stop.set()
        poller.join()
    assert results == [True] * 5 and emu.strip(1) == "   004"
    assert got == [KeyAction(1, "call"), KeyAction(1, "recall")]

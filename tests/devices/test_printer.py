"""The ticket printer: byte layouts, status parsing, and the real driver against an emulated printer
on a real pty (and on a local TCP socket)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.base import COVER_OPEN, ERROR, OK, PAPER_LOW, PAPER_OUT, DeviceError, DeviceStatus
from devices.printer import status as rt
from devices.printer.driver import PrinterNotReady, TicketPrinter
from devices.printer.emulator import PrinterEmulator, PrinterLogic, TcpPrinterEmulator
from devices.printer.escpos import (
    COLUMNS,
    CaseReceipt,
    MissingNotice,
    TicketSlip,
    case_receipt,
    display_width,
    encode_text,
    missing_materials_notice,
    parse_escpos,
    parse_escpos_documents,
    ticket,
)

PUNCTUATION = "「」、，。：；（）—…·《》￥"
RARE = "𠀾鿏"

SLIP = TicketSlip(
    hall_name="滨江区市民之家「政务服务中心」",
    number="A012",
    queue_name="社会民生类",
    priority_label="老年人优先",
    ahead=3,
    eta_minutes=15,
    issued_at="2026-11-26 09:05",
    qr_url="https://hall.example.gov.cn/q/t/7f3a9c?hall=12&n=A012",
    footer=f"请留意叫号，过号请到咨询台{PUNCTUATION}{RARE}",
)
RECEIPT = CaseReceipt(
    hall_name="滨江区市民之家",
    receipt_no="JJ20261126-0042",
    item_name="城乡居民基本医疗保险参保登记（新生儿）",
    department="区医疗保障局",
    applicant_masked="张*明",
    accepted_at="2026-11-26 09:40",
    due_at="2026-12-03",
    materials=("居民身份证（原件）", "户口簿（原件及复印件）", "出生医学证明"),
    qr_url="https://hall.example.gov.cn/case/JJ20261126-0042",
)
NOTICE = MissingNotice(
    hall_name="滨江区市民之家",
    item_name="个体工商户设立登记",
    applicant_masked="李*",
    missing=("经营场所使用证明", "房屋租赁合同（须经出租方签字盖章）", "《个体工商户开业登记申请书》",
             "委托书", "经营者照片（近期一寸免冠）"),
    counter="7号窗口（商事登记）",
    issued_at="2026-11-26 10:12",
    contact="咨询电话：0571-12345，工作日 9:00—17:00",
)


# ---------------------------------------------------------------------------- bytes


def test_ticket_bytes_decode_to_the_slip() -> None:
    data = ticket(SLIP)
    assert data.startswith(b"\x1b@\x1c&")
    assert data.endswith(b"\x1dVB\x00")
    doc = parse_escpos(data)
    number = doc.find("A012")
    assert number is not None and number.width >= 3 and number.height >= 3 and number.bold
    assert doc.find("社会民生类") and doc.find("【老年人优先】")
    assert doc.find("前面还有 3 人") and doc.find("预计等候约 15 分钟")
    assert doc.find("2026-11-26 09:05")
    assert doc.qr_codes == [SLIP.qr_url]
    assert doc.cuts == 1
    assert PUNCTUATION + RARE in doc.text
    assert SLIP.hall_name in doc.text


def test_ticket_shows_the_waits_range_as_the_screens_do() -> None:
    """The server sends the minutes as screens show them (docs/eta.md): a wide range is printed as it is."""
    doc = parse_escpos(ticket(TicketSlip("大厅", "B001", "不动产类", None, 6, 12, "2026-11-26 09:05", "u",
                                         eta_wait="7–16")))
    assert doc.find("预计等候约 7–16 分钟")


def test_the_slip_carries_the_minutes_the_screens_show() -> None:
    from datetime import UTC, datetime

    from server.demo import JINAN
    from server.domain.estimate import wait_minutes
    from server.domain.hall import Hall
    from server.services.printing import ticket_slip

    hall = Hall(JINAN)
    now = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    for n in range(8):
        hall.issue("A", now, f"t{n}")
    ticket = hall.tickets[hall.by_token["t7"]]
    eta = hall.ticket_eta_s(ticket)
    assert eta is not None
    slip = ticket_slip(hall, ticket, "https://hall.example")
    assert slip["eta_wait"] == wait_minutes(eta, hall.eta_range_s(eta)) and "–" in slip["eta_wait"]
    assert slip["eta_minutes"] == round(eta / 60)  # older agents print this one


def test_ticket_without_priority_or_eta() -> None:
    doc = parse_escpos(ticket(TicketSlip("大厅", "B001", "不动产类", None, 0, None, "2026-11-26 09:05", "u")))
    assert doc.find("前面还有 0 人") and not doc.find("预计等候") and not doc.find("【")


def test_gb18030_keeps_every_character_and_adds_no_question_mark() -> None:
    text = PUNCTUATION + RARE + "一窗受理"
    data = encode_text(text)
    assert b"?" not in data
    assert data.decode("gb18030") == text
    assert len(encode_text("𠀾")) == 4  # a four-byte GB18030 character, not a fallback


def test_control_characters_in_data_cannot_inject_commands() -> None:
    data = encode_text("张\x1dVB\x00三\n")
    assert b"\x1d" not in data and b"\n" not in data and b"\x00" not in data


def test_qr_code_command_is_model_2_level_m() -> None:
    data = ticket(SLIP)
    assert b"\x1d(k\x04\x001A2\x00" in data  # model 2
    assert b"\x1d(k\x03\x001E1" in data  # error correction M
    payload = SLIP.qr_url.encode()
    n = len(payload) + 3
    assert b"\x1d(k" + bytes([n & 0xFF, n >> 8]) + b"1P0" + payload in data
    assert b"\x1d(k\x03\x001Q0" in data


def test_receipt_and_notice_carry_every_item_within_48_columns() -> None:
    receipt = parse_escpos(case_receipt(RECEIPT))
    assert receipt.find("接件回执") and receipt.find("JJ20261126-0042") and receipt.find("张*明")
    for material in RECEIPT.materials:
        assert material in receipt.text
    assert receipt.qr_codes == [RECEIPT.qr_url] and receipt.cuts == 1

    notice = parse_escpos(missing_materials_notice(NOTICE))
    assert notice.find("一次性告知书") and notice.find("7号窗口（商事登记）") and notice.find("0571-12345")
    joined = "".join(line.text.strip() for line in notice.lines)
    for index, item in enumerate(NOTICE.missing, 1):
        assert f"{index}.{item}" in joined.replace(" ", "") or f"{index}. {item}" in notice.text
    assert notice.cuts == 1
    for doc in (receipt, notice):
        for line in doc.lines:
            assert display_width(line.text) * line.width <= COLUMNS


def test_long_item_wraps_with_hanging_indent() -> None:
    long_item = "申请人所在单位出具的劳动关系证明及近六个月社会保险缴费记录（加盖公章）"
    doc = parse_escpos(missing_materials_notice(
        MissingNotice("大厅", "事项", "王*", (long_item,), "1号窗口", "2026-11-26 10:00", "电话")))
    first = doc.find("1. 申请人")
    assert first is not None
    following = doc.lines[doc.lines.index(first) + 1]
    assert following.text.startswith("   ")
    assert "".join(line.text.strip() for line in doc.lines).count(long_item.replace(" ", "")) == 1


def test_documents_split_at_cuts_and_keep_an_unfinished_tail() -> None:
    data = ticket(SLIP) + case_receipt(RECEIPT)
    tail = ticket(SLIP)[:40]
    docs, used = parse_escpos_documents(data + tail)
    assert len(docs) == 2 and used == len(data)
    assert docs[0].qr_codes == [SLIP.qr_url] and docs[1].qr_codes == [RECEIPT.qr_url]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_parser_never_raises_on_random_bytes(data: bytes) -> None:
    parse_escpos(data)
    docs, used = parse_escpos_documents(data)
    assert 0 <= used <= len(data)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=2000), st.binary(max_size=20))
def test_parser_never_raises_on_truncated_or_corrupted_slips(cut_at: int, noise: bytes) -> None:
    data = ticket(SLIP)
    parse_escpos(data[:cut_at])
    parse_escpos(data[:cut_at] + noise + data[cut_at:])


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, exclude_categories=["Cs"]), max_size=30))
def test_any_text_survives_the_round_trip(text: str) -> None:
    doc = parse_escpos(b"\x1b@\x1c&" + encode_text(text) + b"\n")
    assert doc.lines[0].text == text.replace("\x7f", " ")


# ---------------------------------------------------------------------------- status bytes


def status_of(*answers: int) -> DeviceStatus:
    """The status three valid answer bytes make (``parse_status`` gives None for invalid ones)."""
    status = rt.parse_status(bytes(answers))
    assert status is not None, answers
    return status


def test_status_answers_map_to_device_states() -> None:
    base = rt.BASE
    assert status_of(base, base, base).state == OK
    out = status_of(base | 0x08, base | 0x20, base | 0x6C)
    assert out.state == PAPER_OUT and out.detail == "打印机缺纸"
    cover = status_of(base | 0x08, base | 0x04, base)
    assert cover.state == COVER_OPEN and cover.detail == "打印机盖未关好"
    assert status_of(base | 0x08, base | 0x40, base).state == ERROR
    assert status_of(base, base, base | 0x0C).state == PAPER_LOW
    assert status_of(base, base, base | 0x04).state == PAPER_LOW
    assert status_of(base | 0x08, base | 0x08, base).state == OK  # feed button pressed
    assert rt.query(4) == b"\x10\x04\x04"


@given(st.integers(min_value=0, max_value=255))
def test_every_byte_with_wrong_fixed_bits_is_rejected(byte: int) -> None:
    fixed_ok = (byte & 0x02) and (byte & 0x10) and not (byte & 0x01) and not (byte & 0x80)
    assert rt.is_valid(byte) == bool(fixed_ok)
    for position in range(3):
        answers = bytearray([rt.BASE] * 3)
        answers[position] = byte
        assert (rt.parse_status(bytes(answers)) is None) == (not fixed_ok)


@given(st.binary(max_size=8))
def test_status_parser_never_raises(data: bytes) -> None:
    result = rt.parse_status(data)
    assert result is None or len(data) == 3


# ---------------------------------------------------------------------------- emulator logic


def test_emulator_answers_queries_wherever_they_fall() -> None:
    printer = PrinterLogic()
    data = ticket(SLIP)
    reply = printer.handle(data[:100] + b"\x10")
    reply += printer.handle(b"\x04\x01" + data[100:200] + b"\x10\x04\x04" + data[200:])
    assert reply == bytes([rt.BASE, rt.BASE])
    assert [doc.qr_codes for doc in printer.documents()] == [[SLIP.qr_url]]
    assert PUNCTUATION in printer.documents()[0].text


# ---------------------------------------------------------------------------- driver over a pty


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[PrinterEmulator]:
    emu = PrinterEmulator(link=str(tmp_path / "ttyPrinter"))
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def printer(emulator: PrinterEmulator) -> Iterator[TicketPrinter]:
    driver = TicketPrinter.open("serial://" + emulator.device_path + "?baud=9600")
    yield driver
    driver.close()


def test_prints_a_ticket(emulator: PrinterEmulator, printer: TicketPrinter) -> None:
    assert printer.status().state == OK
    assert printer.print_ticket(SLIP).state == OK
    [doc] = emulator.wait_for_documents(1)
    number = doc.find("A012")
    assert number is not None and number.width >= 3 and number.height >= 3
    assert doc.find("社会民生类") and doc.find("前面还有 3 人") and doc.find("2026-11-26 09:05")
    assert doc.qr_codes == [SLIP.qr_url] and doc.cuts == 1
    assert PUNCTUATION + RARE in doc.text


def test_paper_out_refuses_to_print(emulator: PrinterEmulator, printer: TicketPrinter) -> None:
    emulator.paper_out = True
    status = printer.status()
    assert status.state == PAPER_OUT and status.detail == "打印机缺纸"
    with pytest.raises(PrinterNotReady) as caught:
        printer.print_ticket(SLIP)
    assert caught.value.status.state == PAPER_OUT
    assert not isinstance(caught.value, DeviceError)
    assert emulator.dropped_bytes == 0 and emulator.documents() == []  # nothing was even sent
    emulator.paper_out = False
    printer.print_ticket(SLIP)
    assert len(emulator.wait_for_documents(1)) == 1


def test_cover_open_refuses_to_print(emulator: PrinterEmulator, printer: TicketPrinter) -> None:
    emulator.set_state(cover_open=True)
    assert printer.status().state == COVER_OPEN
    with pytest.raises(PrinterNotReady) as caught:
        printer.print_receipt(RECEIPT)
    assert caught.value.status.detail == "打印机盖未关好"
    assert emulator.documents() == []


def test_paper_low_prints_and_reports_it(emulator: PrinterEmulator, printer: TicketPrinter) -> None:
    emulator.paper_low = True
    status = printer.print_ticket(SLIP)
    assert status.state == PAPER_LOW
    assert len(emulator.wait_for_documents(1)) == 1


def test_receipt_and_notice_over_the_pty(emulator: PrinterEmulator, printer: TicketPrinter) -> None:
    printer.print_receipt(RECEIPT)
    printer.print_notice(NOTICE)
    receipt, notice = emulator.wait_for_documents(2)
    assert all(material in receipt.text for material in RECEIPT.materials)
    assert all(f"{i}. {item}" in notice.text for i, item in enumerate(NOTICE.missing, 1))


def test_unplugged_printer_is_a_device_error_and_reopens(emulator: PrinterEmulator,
                                                         printer: TicketPrinter) -> None:
    assert printer.status().state == OK
    emulator.unplug()
    with pytest.raises(DeviceError):
        printer.status()
    with pytest.raises(DeviceError):
        printer.print_ticket(SLIP)
    printer.close()
    with pytest.raises(DeviceError):
        TicketPrinter.open("serial://" + emulator.device_path + "?baud=9600")
    emulator.plug()
    with TicketPrinter.open("serial://" + emulator.device_path + "?baud=9600") as again:
        assert again.print_ticket(SLIP).state == OK
    assert len(emulator.wait_for_documents(1)) == 1


def test_silent_device_is_a_device_error(tmp_path: Path) -> None:
    class Mute(PrinterEmulator):
        def received(self, data: bytes) -> None:
            pass

    with Mute(link=str(tmp_path / "mute")) as mute, \
            TicketPrinter.open("serial://" + mute.device_path) as driver, pytest.raises(DeviceError):
        driver.status()


def test_tcp_printer() -> None:
    emu = TcpPrinterEmulator().start()
    try:
        with TicketPrinter.open(emu.url) as driver:
            assert driver.print_ticket(SLIP).state == OK
            [doc] = emu.wait_for_documents(1)
            assert doc.qr_codes == [SLIP.qr_url] and PUNCTUATION in doc.text
            emu.paper_out = True
            with pytest.raises(PrinterNotReady):
                driver.print_ticket(SLIP)
    finally:
        emu.stop()
    with pytest.raises(DeviceError):
        TicketPrinter.open(emu.url)  # nobody listens any more


def test_stopped_emulator_drops_print_data_but_still_answers() -> None:
    printer = PrinterLogic()
    printer.paper_out = True
    data = ticket(SLIP)
    assert printer.handle(data + rt.query(2)) == bytes([rt.BASE | 0x20])
    assert printer.dropped_bytes == len(data) and printer.documents() == []


def test_garbled_status_answers_are_rejected_not_trusted(tmp_path: Path) -> None:
    class Garbled(PrinterEmulator):
        def answer(self, n: int) -> int | None:
            return 0xFF  # fixed bits violated: line noise, not a status

    emu = Garbled(link=str(tmp_path / "garbled"))  # named apart: ``with`` would type it as its base class
    with emu, TicketPrinter.open("serial://" + emu.device_path) as driver:
        assert driver.status().state == ERROR
        with pytest.raises(PrinterNotReady):
            driver.print_ticket(SLIP)
        assert emu.documents() == [] and emu.queries == 12  # asked twice per status() call

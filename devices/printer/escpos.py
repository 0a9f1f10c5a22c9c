"""ESC/POS bytes for the hall's slips, built by hand, and a decoder for tests and the emulator.

We build the bytes ourselves instead of using python-escpos's text encoding: it guesses a code
page per character and turns some Chinese punctuation into ``?``. Chinese thermal printers take
GB18030 once Chinese mode is on (``FS &``), which covers every Unicode character, rare ones too.
Pure: no I/O here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

ESC, GS, FS, DLE, LF = 0x1B, 0x1D, 0x1C, 0x10, 0x0A

INIT = b"\x1b@"  # ESC @: clear buffer and modes, so a half-sent previous job cannot leak styles
CHINESE_ON = b"\x1c&"  # FS &: two-byte (GB) characters from here on
CHINESE_OFF = b"\x1c."
CUT = b"\x1dVB\x00"  # GS V 66 0: feed to the cutter and partial-cut (leaves a tab on most printers)
LEFT, CENTER, RIGHT = 0, 1, 2
COLUMNS = 48  # 80 mm paper, font A: 48 half-width columns = 24 Chinese characters
_ALIGN_NAMES = {LEFT: "left", CENTER: "center", RIGHT: "right"}


def encode_text(text: str) -> bytes:
    """GB18030 for any text; control characters become spaces so data (a hall name, a person's
    name) can never smuggle in printer commands, and lone surrogates (not encodable) become U+FFFD
    rather than a misleading ``?``."""
    clean = "".join(
        " " if ord(ch) < 0x20 or ord(ch) == 0x7F else "\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch
        for ch in text
    )
    return clean.encode("gb18030")


def display_width(text: str) -> int:
    """Columns the printer uses: two for wide (Chinese) characters, one for the rest."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def wrap(text: str, columns: int = COLUMNS, indent: int = 0) -> list[str]:
    """Breaks at the column limit (Chinese has no spaces to break at); continuation lines get
    ``indent`` spaces so numbered lists keep a hanging indent."""
    lines: list[str] = []
    current, width = "", 0
    for ch in text:
        w = display_width(ch)
        if width + w > columns and current.strip():
            lines.append(current)
            current, width = " " * indent, indent
        current += ch
        width += w
    lines.append(current)
    return lines


class Document:
    """Accumulates commands; every ``line`` resets the style after itself so layouts stay local."""

    def __init__(self) -> None:
        self._out = bytearray(INIT + CHINESE_ON)

    def raw(self, data: bytes) -> Document:
        self._out += data
        return self

    def style(self, *, align: int = LEFT, width: int = 1, height: int = 1, bold: bool = False) -> Document:
        size = ((min(max(width, 1), 8) - 1) << 4) | (min(max(height, 1), 8) - 1)
        return self.raw(bytes([ESC, ord("a"), align, GS, ord("!"), size, ESC, ord("E"), int(bold)]))

    def line(self, text: str = "", *, align: int = LEFT, width: int = 1, height: int = 1,
             bold: bool = False) -> Document:
        self.style(align=align, width=width, height=height, bold=bold)
        self.raw(encode_text(text) + b"\n")
        return self.style()

    def wrapped(self, text: str, *, indent: int = 0, columns: int = COLUMNS) -> Document:
        for part in wrap(text, columns, indent):
            self.line(part)
        return self

    def rule(self) -> Document:
        return self.line("-" * COLUMNS)

    def qr(self, data: str, *, module: int = 6) -> Document:
        """Native QR (GS ( k): model 2, module size in dots, error correction M, store, print."""
        payload = data.encode("utf-8")
        store_len = len(payload) + 3
        self.raw(bytes([ESC, ord("a"), CENTER]))
        self.raw(b"\x1d(k\x04\x001A2\x00")  # fn 65: model 2
        self.raw(b"\x1d(k\x03\x001C" + bytes([min(max(module, 1), 16)]))  # fn 67: module size
        self.raw(b"\x1d(k\x03\x001E1")  # fn 69: error correction M (49)
        self.raw(b"\x1d(k" + bytes([store_len & 0xFF, store_len >> 8]) + b"1P0" + payload)  # fn 80
        self.raw(b"\x1d(k\x03\x001Q0\n")  # fn 81: print the stored symbol
        return self.style()

    def cut(self, feed_lines: int = 3) -> Document:
        return self.raw(bytes([ESC, ord("d"), feed_lines]) + CUT)

    def bytes(self) -> bytes:
        return bytes(self._out)


# ---------------------------------------------------------------------------- layouts


@dataclass(frozen=True)
class TicketSlip:
    hall_name: str
    number: str  # "A012"
    queue_name: str  # 社会民生类
    priority_label: str | None  # "老年人优先" or None
    ahead: int
    eta_minutes: int | None
    issued_at: str  # "2026-11-26 09:05", already in hall time
    qr_url: str
    footer: str = "请留意叫号，过号请到咨询台"
    eta_wait: str | None = None  # the minutes as screens show them, "5" or "10–15"; older servers send none


@dataclass(frozen=True)
class CaseReceipt:
    hall_name: str
    receipt_no: str
    item_name: str
    department: str
    applicant_masked: str  # already masked by the caller: 张*明; the printer never sees full data
    accepted_at: str
    due_at: str
    materials: tuple[str, ...]
    qr_url: str
    contact: str = ""  # "咨询电话：87711892", the hall's line; older servers send none
    fee: str = ""  # 收费: "工本费10元；已登记 10.00元（窗口缴费）"; older servers send none


@dataclass(frozen=True)
class MissingNotice:
    hall_name: str
    item_name: str
    applicant_masked: str
    missing: tuple[str, ...]
    counter: str
    issued_at: str
    contact: str  # "咨询电话：87711892", the hall's line (empty: none set)


def _numbered(doc: Document, items: Iterable[str]) -> None:
    for index, item in enumerate(items, 1):
        prefix = f"{index}. "
        doc.wrapped(prefix + item, indent=len(prefix))


def ticket(slip: TicketSlip) -> bytes:
    doc = Document()
    doc.line(slip.hall_name, align=CENTER, height=2, bold=True)
    doc.line(slip.queue_name, align=CENTER, width=2, height=2)
    doc.line()
    doc.line(slip.number, align=CENTER, width=4, height=4, bold=True)  # read from across the hall
    if slip.priority_label:
        doc.line(f"【{slip.priority_label}】", align=CENTER, height=2, bold=True)
    doc.line()
    doc.line(f"前面还有 {slip.ahead} 人", align=CENTER, height=2)
    if slip.eta_minutes is not None:
        doc.line(f"预计等候约 {slip.eta_wait or slip.eta_minutes} 分钟", align=CENTER)
    doc.qr(slip.qr_url)
    doc.line("扫码查看排队进度", align=CENTER)
    doc.line(f"取号时间：{slip.issued_at}", align=CENTER)
    doc.line(slip.footer, align=CENTER)
    return doc.cut().bytes()


def case_receipt(r: CaseReceipt) -> bytes:
    doc = Document()
    doc.line(r.hall_name, align=CENTER, height=2, bold=True)
    doc.line("接件回执", align=CENTER, width=2, height=2, bold=True)
    doc.rule()
    for label, value in (("回执编号", r.receipt_no), ("办理事项", r.item_name), ("受理部门", r.department),
                         ("申 请 人", r.applicant_masked), ("接件时间", r.accepted_at),
                         ("承诺办结", r.due_at)):
        doc.wrapped(f"{label}：{value}", indent=10)
    if r.fee:
        doc.wrapped(f"收    费：{r.fee}", indent=10)
    doc.line("已收材料：", bold=True)
    _numbered(doc, r.materials)
    doc.rule()
    doc.qr(r.qr_url)
    doc.line("凭此回执查询办理进度、领取办理结果", align=CENTER)
    if r.contact:
        doc.line(r.contact, align=CENTER)
    return doc.cut().bytes()


def missing_materials_notice(n: MissingNotice) -> bytes:
    doc = Document()
    doc.line(n.hall_name, align=CENTER, height=2, bold=True)
    doc.line("一次性告知书", align=CENTER, width=2, height=2, bold=True)
    doc.rule()
    doc.wrapped(f"申 请 人：{n.applicant_masked}", indent=10)
    doc.wrapped(f"办理事项：{n.item_name}", indent=10)
    doc.wrapped("您申请办理的事项尚缺以下材料，请一次性补齐后再次提交：")
    _numbered(doc, n.missing)
    doc.rule()
    doc.wrapped(f"办理窗口：{n.counter}", indent=10)
    doc.wrapped(f"告知时间：{n.issued_at}", indent=10)
    if n.contact:
        doc.wrapped(n.contact)
    return doc.cut().bytes()


# ---------------------------------------------------------------------------- decoder


@dataclass(frozen=True)
class PrintedLine:
    text: str
    width: int = 1  # the largest character size used on the line
    height: int = 1
    bold: bool = False
    align: str = "left"


@dataclass
class PrintedDocument:
    lines: list[PrintedLine] = field(default_factory=list)
    qr_codes: list[str] = field(default_factory=list)  # payloads of the symbols actually printed
    cuts: int = 0

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def find(self, fragment: str) -> PrintedLine | None:
        return next((line for line in self.lines if fragment in line.text), None)


@dataclass
class _Style:
    align: int = LEFT
    width: int = 1
    height: int = 1
    bold: bool = False
    chinese: bool = False


class _Decoder:
    def __init__(self) -> None:
        self.style = _Style()
        self.doc = PrintedDocument()
        self.runs: list[tuple[bytes, _Style]] = []
        self.text = bytearray()
        self.qr_store = b""

    def flush_run(self) -> None:
        if self.text:
            self.runs.append((bytes(self.text), _Style(**vars(self.style))))
            self.text.clear()

    def end_line(self) -> None:
        self.flush_run()
        runs, self.runs = self.runs, []
        text = "".join(data.decode("gb18030" if st.chinese else "cp437", "replace") for data, st in runs)
        styles = [st for _, st in runs] or [self.style]
        self.doc.lines.append(PrintedLine(
            text=text, width=max(st.width for st in styles), height=max(st.height for st in styles),
            bold=any(st.bold for st in styles), align=_ALIGN_NAMES.get(styles[0].align, "left")))

    def finish(self) -> PrintedDocument:
        if self.text or self.runs:
            self.end_line()
        return self.doc

    def step(self, data: bytes, i: int) -> int | None:
        """Consumes one command or text byte at ``i``; None when the command is cut short."""
        b = data[i]
        if b >= 0x20:
            self.text.append(b)  # GB18030 trail bytes are all >= 0x30: no command hides inside text
            return i + 1
        if b == LF:
            self.end_line()
            return i + 1
        need = {ESC: 2, GS: 2, FS: 2, DLE: 3}.get(b)
        if need is None:
            return i + 1  # CR and other lone control bytes: nothing to print
        if i + need > len(data):
            return None
        self.flush_run()
        cmd = data[i + 1]
        st = self.style
        if b == DLE:
            return i + 3 if cmd in (0x04, 0x05) else i + 2  # real-time queries, not print data
        if b == FS:
            if cmd in (ord("&"), ord(".")):
                st.chinese = cmd == ord("&")
                return i + 2
            return i + 3 if cmd in (ord("!"), ord("-"), ord("W")) and i + 3 <= len(data) else i + 2
        if b == ESC:
            if cmd == ord("@"):
                self.style = _Style()
                return i + 2
            if i + 3 > len(data):
                return None if cmd in b"aE!d-tJ3GM" else i + 2
            n = data[i + 2]
            if cmd == ord("a"):
                st.align = n % 48 if n >= 48 else n  # '0'..'2' are accepted as well as 0..2
            elif cmd == ord("E"):
                st.bold = bool(n & 1)
            elif cmd == ord("!"):
                st.bold, st.height, st.width = bool(n & 8), 2 if n & 16 else 1, 2 if n & 32 else 1
            elif cmd == ord("d"):
                self.doc.lines.extend(PrintedLine("") for _ in range(n))
            elif cmd not in b"-tJ3GM":
                return i + 2
            return i + 3
        # GS
        if cmd == ord("!"):
            if i + 3 > len(data):
                return None
            n = data[i + 2]
            st.width, st.height = (n >> 4 & 7) + 1, (n & 7) + 1
            return i + 3
        if cmd == ord("V"):
            if i + 3 > len(data):
                return None
            m = data[i + 2]
            end = i + 4 if m in (65, 66, 97, 98, 103, 104) else i + 3
            if end > len(data):
                return None
            self.finish()
            self.doc.cuts += 1
            return end
        if cmd == ord("("):
            if i + 5 > len(data):
                return None
            length = data[i + 3] | data[i + 4] << 8
            end = i + 5 + length
            if end > len(data):
                return None
            body = data[i + 5:end]
            if data[i + 2] == ord("k") and len(body) >= 3 and body[0] == 0x31:
                if body[1] == 0x50:
                    self.qr_store = body[3:]
                elif body[1] == 0x51 and self.qr_store:
                    self.doc.qr_codes.append(self.qr_store.decode("utf-8", "replace"))
            return end
        return i + 3 if cmd in b"BHfhkwL" and i + 3 <= len(data) else i + 2


def parse_escpos_documents(data: bytes) -> tuple[list[PrintedDocument], int]:
    """The documents finished by a cut, and how many bytes they took (the rest may be a job
    still arriving). Unknown bytes are skipped; never raises."""
    docs: list[PrintedDocument] = []
    decoder, i, consumed = _Decoder(), 0, 0
    while i < len(data):
        nxt = decoder.step(data, i)
        if nxt is None:
            break
        i = nxt
        if decoder.doc.cuts:
            docs.append(decoder.doc)
            consumed = i
            style, decoder = decoder.style, _Decoder()
            decoder.style = style  # modes survive a cut on a real printer
    return docs, consumed


def parse_escpos(data: bytes) -> PrintedDocument:
    """Everything in ``data`` as one document (cuts counted, a truncated tail ignored)."""
    decoder, i = _Decoder(), 0
    while i < len(data):
        nxt = decoder.step(data, i)
        if nxt is None:
            break
        i = nxt
    cuts = decoder.doc.cuts
    doc = decoder.finish()
    doc.cuts = cuts
    return doc

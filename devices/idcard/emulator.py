"""The reader's side of the SAM protocol on a pty, for tests and for demos without hardware.

It behaves as the readers the driver was written against: find answers ``9F`` for a card not yet
read in this presentation and ``80`` otherwise; select succeeds while a card lies on it; read
serves the text and photo once and marks the card as read.
"""

from __future__ import annotations

import threading
from datetime import date

from stdnum.cn import ric

from devices.emulation import PtyEmulator
from devices.idcard import sam
from devices.idcard.text import NATION_CODES, IdCard, encode_text

DEMO_REGION = "350111"  # 福州市晋安区, the demo hall's district (a code stdnum dates from 1983: issue 14)


class IdCardEmulator(PtyEmulator):
    kind = "idcard"

    def __init__(self, link: str | None = None) -> None:
        super().__init__(link)
        self._lock = threading.Lock()  # control calls come from the test thread, requests from _serve
        self._requests = sam.RequestReader()
        self._card: IdCard | None = None
        self._read_done = False
        self.reads_served = 0  # successful text+photo reads: one per presentation
        # Fault injection: when set, the next answer (to ``raw_answer_to`` only, if that is set) is
        # replaced by these bytes, as a noisy cable would; the request is still carried out.
        self.raw_answer: bytes | None = None
        self.raw_answer_to: tuple[int, int] | None = None

    # ------------------------------------------------------------------ control
    def present(self, card: IdCard) -> None:
        with self._lock:
            self._card, self._read_done = card, False

    def remove(self) -> None:
        with self._lock:
            self._card, self._read_done = None, False

    # ------------------------------------------------------------------ device side
    def received(self, data: bytes) -> None:
        with self._lock:
            rejected = self._requests.rejected
            requests = self._requests.feed(data)
            answers = [self._fault(request) or self._answer(request) for request in requests]
            if self._requests.rejected > rejected:
                answers.append(sam.build_response(sam.SW_BAD_CHECKSUM))
        for answer in answers:
            self.send(answer)

    def _fault(self, request: sam.Request) -> bytes | None:
        if self.raw_answer is None or self.raw_answer_to not in (None, (request.cmd, request.param)):
            return None
        self._answer(request)  # the device did the work; only its answer is lost on the wire
        raw, self.raw_answer, self.raw_answer_to = self.raw_answer, None, None
        return raw

    def _answer(self, request: sam.Request) -> bytes:
        command = (request.cmd, request.param)
        if command == sam.FIND_CARD:
            if self._card is not None and not self._read_done:
                return sam.build_response(sam.SW_FIND_OK, bytes(4))
            return sam.build_response(sam.SW_NO_CARD)
        if command == sam.SELECT_CARD:
            if self._card is None:
                return sam.build_response(sam.SW_SELECT_FAILED)
            return sam.build_response(sam.SW_OK, bytes(8))
        if command == sam.READ_TEXT_PHOTO:
            if self._card is None:
                return sam.build_response(sam.SW_READ_FAILED)
            text, photo = encode_text(self._card), self._card.photo
            self._read_done = True
            self.reads_served += 1
            lengths = len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big")
            return sam.build_response(sam.SW_OK, lengths + text + photo)
        return sam.build_response(sam.SW_UNKNOWN_COMMAND)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year - years, day=28)


def demo_photo() -> bytes:
    """1024 bytes standing in for a wlt photo; it holds the frame preamble on purpose, so that
    tests show the photo passes through the framing untouched."""
    return (sam.PREAMBLE + bytes(range(256)) * 4)[:1024]


def demo_card(age: int, nation: str = "汉", name: str = "张三丰", today: date | None = None,
              *, sequence: int = 123, valid_id: bool = True, region: str = DEMO_REGION) -> IdCard:
    """A card for someone ``age`` years old today, with a correct GB 11643 check digit (or a wrong
    one when ``valid_id`` is False). The validity period follows the law on ID cards: 5 years under
    16, 10 to 25, 20 to 45, 长期 from 46."""
    if nation not in NATION_CODES:
        raise ValueError("unknown nation")
    today = today or date.today()
    birth = _years_before(today, age)
    body = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    check = ric.calc_check_digit(body + "0")
    if not valid_id:
        check = "0" if check != "0" else "1"
    valid_from = _years_before(today, 1)
    years = 5 if age < 16 else 10 if age <= 25 else 20 if age <= 45 else None
    return IdCard(
        name=name, gender="男" if sequence % 2 else "女", nation=nation, birth_date=birth,
        address="福建省福州市晋安区福新中路88号", id_number=body + check, authority="福州市公安局晋安分局",
        valid_from=valid_from,
        valid_to=None if years is None else _years_before(valid_from, -years), photo=demo_photo(),
    )

"""PC/SC card readers (social-security cards, contactless cards) through pyscard and pcscd.

Change detection uses ``SCardGetStatusChange`` directly rather than pyscard's CardMonitor /
ReaderMonitor: those start their own polling threads and swallow service errors, while the agent
already runs each driver in its own thread and needs ``poll()`` to return promptly and to raise
``DeviceError`` when pcscd is gone. One blocking call with a short timeout watches every reader
plus the ``\\\\?PnP?\\Notification`` pseudo-reader (reader plugged/unplugged), so an idle hall costs
one wake-up per timeout and no busy polling.

Card contents (ATR, UID) are personal data in a service hall: they go into events, never into logs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from smartcard import scard

from devices.base import OFFLINE, OK, DeviceError, DeviceStatus, DeviceUrl

log = logging.getLogger(__name__)

PNP_NOTIFICATION = "\\\\?PnP?\\Notification"
GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]  # PC/SC part 3 GET DATA: the contactless card's UID


def _code(hresult: int) -> int:
    return hresult & 0xFFFFFFFF  # pyscard may hand back negative (signed) codes on some platforms


# Codes that mean the daemon (or our context with it) is gone: reconnect, report offline meanwhile.
_SERVICE_LOST = {_code(c) for c in (scard.SCARD_E_NO_SERVICE, scard.SCARD_E_SERVICE_STOPPED,
                                     scard.SCARD_E_INVALID_HANDLE, scard.SCARD_F_COMM_ERROR)}
_SUCCESS = _code(scard.SCARD_S_SUCCESS)
_TIMEOUT = _code(scard.SCARD_E_TIMEOUT)
_NO_READERS = _code(scard.SCARD_E_NO_READERS_AVAILABLE)


@dataclass(frozen=True)
class ReaderAdded:
    name: str


@dataclass(frozen=True)
class ReaderRemoved:
    name: str


@dataclass(frozen=True)
class CardInserted:
    reader: str
    atr: bytes = field(repr=False)  # repr hides card data so an event printed in a log stays clean
    uid: bytes | None = field(repr=False)


@dataclass(frozen=True)
class CardRemoved:
    reader: str


PcscEvent = ReaderAdded | ReaderRemoved | CardInserted | CardRemoved


@dataclass
class _Slot:
    state: int = scard.SCARD_STATE_UNAWARE  # last dwEventState, fed back as dwCurrentState
    present: bool = False


class PcscReader:
    """Watches the PC/SC readers whose name contains ``reader_filter`` (case-insensitive; all if None)."""

    def __init__(self, reader_filter: str | None = None, *, timeout: float = 0.25) -> None:
        self.reader_filter = reader_filter
        self._timeout_ms = int(timeout * 1000)
        self._context: int | None = None
        self._slots: dict[str, _Slot] = {}
        self._pnp_state = scard.SCARD_STATE_UNAWARE
        self._relist = True

    @classmethod
    def open(cls, url: str | DeviceUrl) -> PcscReader:
        """``pcsc://`` or ``pcsc://?reader=substring``; raises DeviceError when pcscd is not running."""
        parsed = DeviceUrl.parse(url) if isinstance(url, str) else url
        if parsed.scheme != "pcsc":
            raise ValueError(f"not a pcsc device url: {parsed.scheme}://")
        reader = cls(parsed.options.get("reader") or None)
        reader._connect()  # fail early, so the agent reports the service missing at once
        return reader

    def status(self) -> DeviceStatus:
        if self._context is None:
            return DeviceStatus(OFFLINE, "读卡服务（pcscd）未运行")
        if not self._slots:
            return DeviceStatus(OFFLINE, "未检测到读卡器")
        return DeviceStatus(OK)

    def close(self) -> None:
        if self._context is not None:
            scard.SCardReleaseContext(self._context)
            self._context = None

    def poll(self) -> list[PcscEvent]:
        """Waits up to ``timeout`` for a change and returns what changed. Raises DeviceError while
        pcscd is unreachable; the poll on which it goes away returns the removals instead."""
        if self._context is None:
            self._connect()
        events: list[PcscEvent] = []
        if self._relist:
            events += self._list_readers()
        if self._context is None:  # lost while listing
            return events
        watched = [(PNP_NOTIFICATION, self._pnp_state)] + [(n, s.state) for n, s in self._slots.items()]
        hresult, states = scard.SCardGetStatusChange(self._context, self._timeout_ms, watched)
        code = _code(hresult)
        if code == _TIMEOUT:
            return events
        if code in _SERVICE_LOST:
            return events + self._lose_service()
        if code != _SUCCESS:  # e.g. a reader vanished between listing and waiting: list again
            log.info("SCardGetStatusChange: %s", scard.SCardGetErrorMessage(hresult))
            self._relist = True
            return events
        for name, event_state, atr in states:
            if name == PNP_NOTIFICATION:
                if event_state & scard.SCARD_STATE_CHANGED:
                    self._relist = True
                self._pnp_state = event_state & ~scard.SCARD_STATE_CHANGED
            elif name in self._slots:
                events += self._reader_changed(name, event_state, bytes(atr))
        if self._relist:
            events += self._list_readers()
        return events

    # -- internals ---------------------------------------------------------------------------

    def _connect(self) -> None:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if _code(hresult) != _SUCCESS:
            raise DeviceError(f"pcscd not reachable: {scard.SCardGetErrorMessage(hresult)}")
        self._context = context
        self._pnp_state = scard.SCARD_STATE_UNAWARE
        self._relist = True

    def _lose_service(self) -> list[PcscEvent]:
        log.warning("pcscd went away; reporting readers removed")
        if self._context is not None:
            scard.SCardReleaseContext(self._context)  # errors ignored: the daemon is gone anyway
            self._context = None
        events = self._forget(list(self._slots))
        self._relist = True
        return events

    def _forget(self, names: list[str]) -> list[PcscEvent]:
        events: list[PcscEvent] = []
        for name in names:
            if self._slots.pop(name).present:
                events.append(CardRemoved(name))
            events.append(ReaderRemoved(name))
        return events

    def _matches(self, name: str) -> bool:
        return self.reader_filter is None or self.reader_filter.lower() in name.lower()

    def _list_readers(self) -> list[PcscEvent]:
        assert self._context is not None
        hresult, names = scard.SCardListReaders(self._context, [])
        code = _code(hresult)
        if code in _SERVICE_LOST:
            return self._lose_service()
        if code == _NO_READERS:
            names = []
        elif code != _SUCCESS:
            log.info("SCardListReaders: %s", scard.SCardGetErrorMessage(hresult))
            return []  # keep _relist set and try again next poll
        self._relist = False
        current = [n for n in names if self._matches(n)]
        events = self._forget([n for n in self._slots if n not in current])
        for name in current:
            if name not in self._slots:
                self._slots[name] = _Slot()  # UNAWARE: the next wait reports a card already present
                events.append(ReaderAdded(name))
        return events

    def _reader_changed(self, name: str, event_state: int, atr: bytes) -> list[PcscEvent]:
        slot = self._slots[name]
        previous = slot.state
        slot.state = event_state & ~scard.SCARD_STATE_CHANGED
        if event_state & scard.SCARD_STATE_UNKNOWN:  # reader gone; the PnP relist reports it
            self._relist = True
            return []
        present = bool(event_state & scard.SCARD_STATE_PRESENT)
        # pcsc-lite counts insertions/removals in the high 16 bits: a changed count with a card
        # present both before and after means the card was swapped between two polls.
        swapped = slot.present and present and (previous >> 16) != (event_state >> 16)
        events: list[PcscEvent] = []
        if slot.present and (not present or swapped):
            events.append(CardRemoved(name))
        if present and (not slot.present or swapped):
            mute = bool(event_state & scard.SCARD_STATE_MUTE)  # no ATR: don't even try to talk to it
            events.append(CardInserted(name, atr, None if mute else self._read_uid(name)))
        slot.present = present
        return events

    def _read_uid(self, reader: str) -> bytes | None:
        """The contactless UID, or None when the card has none or refuses (contact cards answer
        6A 81 / 6D 00). A card that misbehaves is logged by error name only and yields None."""
        assert self._context is not None
        try:
            protocols = scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
            shared = scard.SCARD_SHARE_SHARED  # other applications (e.g. the SSC middleware) may use it too
            hresult, card, protocol = scard.SCardConnect(self._context, reader, shared, protocols)
            if _code(hresult) != _SUCCESS:
                log.info("card in %s: connect failed: %s", reader, scard.SCardGetErrorMessage(hresult))
                return None
            try:
                hresult, response = scard.SCardTransmit(card, protocol, GET_UID)
            finally:
                scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)
        except Exception as error:  # pyscard raises on odd handles/answers; one card must not stop us
            log.warning("card in %s: reading UID failed (%s)", reader, error.__class__.__name__)
            return None
        if _code(hresult) != _SUCCESS:
            log.info("card in %s: GET DATA failed: %s", reader, scard.SCardGetErrorMessage(hresult))
            return None
        if len(response) > 2 and response[-2:] == [0x90, 0x00]:
            return bytes(response[:-2])
        if len(response) >= 2:  # the status word is not personal data
            log.info("card in %s has no UID (SW %02X %02X)", reader, response[-2], response[-1])
        return None

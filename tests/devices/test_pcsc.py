"""The PC/SC driver through the real stack: a private pcscd, vsmartcard's vpcd reader and our
VirtualCard. Outside CI these skip when pcscd/vpcd are missing; in CI they must run."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devices.base import OFFLINE, OK, DeviceError
from devices.pcsc import (
    CardInserted,
    CardRemoved,
    PcscEvent,
    PcscReader,
    ReaderAdded,
    ReaderRemoved,
    VirtualCard,
)
from tests.conftest import unavailable
from tests.devices.pcscd import PrivatePcscd, missing_requirements

UID = bytes.fromhex("04A22B3C")


@pytest.fixture(scope="session")
def pcscd_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePcscd]:
    reason = missing_requirements()
    if reason is not None:
        unavailable(f"the PC/SC tests cannot run: {reason}", "`make system` (scripts/debian.sh) installs pcscd "
                    "and vsmartcard-vpcd; the tests need root for a private mount namespace")
    # A short path: the unix socket path must fit in sun_path (108 bytes).
    daemon = PrivatePcscd(Path(tmp_path_factory.mktemp("pcsc")))
    previous = os.environ.get("PCSCLITE_CSOCK_NAME")
    daemon.point_client_here()  # before this process's pyscard first talks to a daemon
    try:
        daemon.start()
        yield daemon
    finally:
        daemon.stop()
        # Later subprocesses should not inherit a dead socket path (this process's libpcsclite keeps it).
        if previous is None:
            os.environ.pop("PCSCLITE_CSOCK_NAME", None)
        else:
            os.environ["PCSCLITE_CSOCK_NAME"] = previous


@pytest.fixture
def pcscd(pcscd_session: PrivatePcscd) -> PrivatePcscd:
    pcscd_session.start()  # a no-op unless a test left it stopped
    return pcscd_session


@pytest.fixture
def reader(pcscd: PrivatePcscd) -> Iterator[PcscReader]:
    reader = PcscReader.open("pcsc://?reader=Virtual%20PCD")
    try:
        yield reader
    finally:
        reader.close()


@pytest.fixture
def slot0(reader: PcscReader) -> str:
    """The reader name for vpcd's first slot (the daemon's port), after the initial ReaderAdded events."""
    events = poll_until(reader, lambda e: isinstance(e, ReaderAdded) and e.name.endswith("00 00"))
    return next(e.name for e in events if isinstance(e, ReaderAdded) and e.name.endswith("00 00"))


Insert = Callable[..., VirtualCard]


@pytest.fixture
def insert(pcscd: PrivatePcscd) -> Iterator[Insert]:
    """Inserts virtual cards into vpcd's first slot; afterwards removes them and waits until pcscd has
    seen the slot empty, or the next test's card would look like the same card never removed."""
    cards: list[VirtualCard] = []

    def insert(uid: bytes | None, kind: type[VirtualCard] = VirtualCard) -> VirtualCard:
        card = kind(uid, port=pcscd.port)
        card.insert()
        cards.append(card)
        return card

    try:
        yield insert
    finally:
        for card in cards:
            card.remove()
        if cards and pcscd.running:
            wait_until_slot0_empty()


def wait_until_slot0_empty(timeout: float = 5.0) -> None:
    watcher = PcscReader("Virtual PCD 00 00")
    try:
        # The first poll lists the reader and reports a card already present at once.
        if not any(isinstance(e, CardInserted) for e in watcher.poll()):
            return
        poll_until(watcher, lambda e: isinstance(e, CardRemoved), timeout)
    finally:
        watcher.close()


def poll_until(reader: PcscReader, wanted: Callable[[PcscEvent], bool],
               timeout: float = 8.0) -> list[PcscEvent]:
    """Polls like the agent does, until an event matches; returns all events seen so far."""
    seen: list[PcscEvent] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += reader.poll()
        if any(wanted(event) for event in seen):
            return seen
    raise AssertionError(f"no matching event in {timeout}s; saw {seen}")


def test_vpcd_reader_appears(reader: PcscReader) -> None:
    events = poll_until(reader, lambda e: isinstance(e, ReaderAdded))
    names = [e.name for e in events if isinstance(e, ReaderAdded)]
    assert names and all("Virtual PCD" in name for name in names)
    assert reader.status().state == OK


def test_contactless_card_reports_atr_and_uid_then_removal(
        reader: PcscReader, slot0: str, insert: Insert) -> None:
    card = insert(UID)
    events = poll_until(reader, lambda e: isinstance(e, CardInserted))
    inserted = [e for e in events if isinstance(e, CardInserted)]
    assert inserted == [CardInserted(slot0, card.atr, UID)]

    card.remove()
    assert CardRemoved(slot0) in poll_until(reader, lambda e: isinstance(e, CardRemoved))


def test_card_refusing_get_data_has_no_uid(
        reader: PcscReader, slot0: str, insert: Insert) -> None:
    card = insert(None)
    events = poll_until(reader, lambda e: isinstance(e, CardInserted))
    event = next(e for e in events if isinstance(e, CardInserted))
    assert (event.reader, event.atr, event.uid) == (slot0, card.atr, None)
    assert "atr" not in repr(event) and "uid" not in repr(event)  # safe to log


def test_card_already_present_when_driver_starts(pcscd: PrivatePcscd, insert: Insert) -> None:
    insert(UID)
    time.sleep(1.0)  # pcscd polls vpcd for presence every 400 ms
    reader = PcscReader("Virtual PCD")
    try:
        events = poll_until(reader, lambda e: isinstance(e, CardInserted))
    finally:
        reader.close()
    assert [e.uid for e in events if isinstance(e, CardInserted)] == [UID]


def test_filter_matching_no_reader_is_offline_not_an_error(pcscd: PrivatePcscd) -> None:
    reader = PcscReader.open("pcsc://?reader=ACS%20ACR122")
    try:
        for _ in range(3):
            assert reader.poll() == []
        status = reader.status()
        assert status.state == OFFLINE and status.detail
    finally:
        reader.close()


def test_open_rejects_other_schemes() -> None:
    with pytest.raises(ValueError):
        PcscReader.open("serial:///dev/ttyUSB0")


def test_pcscd_stopping_reports_removal_then_error_and_recovers(
        pcscd: PrivatePcscd, reader: PcscReader, slot0: str, insert: Insert) -> None:
    insert(UID)
    poll_until(reader, lambda e: isinstance(e, CardInserted))

    pcscd.stop()
    gone: list[PcscEvent] = []
    with pytest.raises(DeviceError):  # first the removals, then "service missing" on every poll
        for _ in range(50):
            gone += reader.poll()
    assert CardRemoved(slot0) in gone and ReaderRemoved(slot0) in gone
    assert gone.index(CardRemoved(slot0)) < gone.index(ReaderRemoved(slot0))
    assert reader.status().state == OFFLINE
    with pytest.raises(DeviceError):
        PcscReader.open("pcsc://")

    pcscd.start()
    back = poll_until(reader, lambda e: e == ReaderAdded(slot0))
    assert reader.status().state == OK
    # The old card's connection died with the old daemon (vpcd lives inside pcscd): no ghost card.
    assert not any(isinstance(e, CardInserted) for e in back)
    card = insert(None)
    back = poll_until(reader, lambda e: isinstance(e, CardInserted))
    assert [e for e in back if isinstance(e, CardInserted)] == [CardInserted(slot0, card.atr, None)]


class PulledMidRead(VirtualCard):
    """Answers the ATR, then drops the connection at the first APDU: a card pulled while its UID is read."""

    def respond(self, apdu: bytes) -> bytes:
        assert self._sock is not None
        self._sock.shutdown(socket.SHUT_RDWR)  # vpcd sees the card gone mid-APDU
        raise OSError("pulled")  # ends the serving thread


def test_card_pulled_while_reading_uid_does_not_break_the_reader(reader: PcscReader, slot0: str,
                                                                 insert: Insert) -> None:
    insert(UID, PulledMidRead)
    events = poll_until(reader, lambda e: isinstance(e, CardInserted))
    assert [e.uid for e in events if isinstance(e, CardInserted)] == [None]
    poll_until(reader, lambda e: isinstance(e, CardRemoved))
    assert reader.status().state == OK

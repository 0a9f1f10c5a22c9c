"""One supervised thread per device.

Each worker opens its driver, polls it, and turns what happened into events for the server
(``emit``); it never lets a device take the agent down. ``DeviceError`` (unplugged, silent)
makes the device ``offline`` and the worker retries with backoff, 0.5 s doubling to 5 s; any
other exception from a driver is a bug in a driver, logged by its type only (the traceback could
hold a card's data) and handled the same way. The drivers are synchronous, hence threads.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from devices.base import ERROR, OFFLINE, OK, DeviceError, DeviceStatus
from devices.emulation import PtyEmulator

from .config import DeviceConfig

log = logging.getLogger("onewindow.agent")

Emit = Callable[[dict[str, Any]], None]
StateChanged = Callable[[], None]
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 5.0  # a reader plugged back in is found within seconds; trying costs next to nothing


class Worker:
    kind = "device"

    def __init__(self, config: DeviceConfig, emit: Emit, state_changed: StateChanged) -> None:
        self.config = config
        self.emit = emit
        self._state_changed = state_changed
        self.status = DeviceStatus(OFFLINE, "正在连接设备")
        self.emulator: PtyEmulator | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._supervise, name=f"device-{self.kind}", daemon=True)
        self.failures = 0

    # ------------------------------------------------------------------ life
    def start(self) -> None:
        if self.config.url.startswith("emulator://"):
            self.emulator = self.make_emulator()
            self.emulator.start()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        if self.emulator is not None:
            self.emulator.stop()

    @property
    def url(self) -> str:
        if self.emulator is not None:
            return f"serial://{self.emulator.device_path}"
        return self.config.url

    def set_status(self, status: DeviceStatus) -> None:
        if status != self.status:
            if status.state != self.status.state:
                log.info("%s: %s → %s %s", self.kind, self.status.state, status.state, status.detail)
            self.status = status
            self._state_changed()

    def _supervise(self) -> None:
        delay = BACKOFF_FIRST_S
        while not self._stop.is_set():
            driver = None
            try:
                driver = self.open()
                self.set_status(self.ready_status(driver))
                delay = BACKOFF_FIRST_S
                while not self._stop.is_set():
                    self.step(driver)
            except DeviceError as error:
                self.failures += 1
                self.set_status(DeviceStatus(OFFLINE, f"设备未连接或无响应，{delay:g} 秒后重试 ({error})"))
            except Exception as error:  # a driver bug: keep the agent alive, never log the payload
                self.failures += 1
                log.error("%s: driver failed with %s; retrying", self.kind, error.__class__.__name__)
                self.set_status(DeviceStatus(ERROR, f"设备驱动异常 ({error.__class__.__name__})"))
            finally:
                if driver is not None:
                    try:
                        driver.close()
                    except Exception:
                        log.debug("%s: closing failed", self.kind)
            self._stop.wait(delay)
            delay = min(delay * 2, BACKOFF_MAX_S)

    # ------------------------------------------------------------------ per kind
    def make_emulator(self) -> PtyEmulator:
        raise NotImplementedError

    def open(self) -> Any:
        raise NotImplementedError

    def ready_status(self, driver: Any) -> DeviceStatus:
        return DeviceStatus(OK)

    def step(self, driver: Any) -> None:
        raise NotImplementedError


class IdCardWorker(Worker):
    kind = "idcard"
    poll_s = 0.3

    def make_emulator(self) -> PtyEmulator:
        from devices.idcard.emulator import IdCardEmulator

        return IdCardEmulator()

    def open(self) -> Any:
        from devices.idcard.reader import IdCardReader

        return IdCardReader.open(self.url)

    def step(self, driver: Any) -> None:
        from devices.idcard.reader import CardPresented, CardRemoved

        event = driver.poll()
        if isinstance(event, CardPresented):
            card = event.card
            # The full card goes to the server alone, over the authenticated socket; the photo stays here.
            self.emit({"type": "card.read", "card": {
                "name": card.name, "gender": card.gender, "nation": card.nation,
                "birth_date": card.birth_date.isoformat(), "id_number": card.id_number,
                "valid_to": card.valid_to.isoformat() if card.valid_to else None}})
        elif isinstance(event, CardRemoved):
            self.emit({"type": "card.removed"})
        self.set_status(DeviceStatus(OK))
        self._stop.wait(self.poll_s)


class PrinterWorker(Worker):
    """Prints the jobs the server sends and asks the printer for paper and cover every few
    seconds, so the server and the kiosk know of an empty roll before a ticket is lost."""

    kind = "printer"

    def __init__(self, config: DeviceConfig, emit: Emit, state_changed: StateChanged,
                 status_poll_s: float = 5.0) -> None:
        super().__init__(config, emit, state_changed)
        self.jobs: queue.Queue[dict[str, Any]] = queue.Queue()
        self.status_poll_s = status_poll_s

    def make_emulator(self) -> PtyEmulator:
        from devices.printer.emulator import PrinterEmulator

        return PrinterEmulator()

    def open(self) -> Any:
        from devices.printer.driver import TicketPrinter

        return TicketPrinter.open(self.url)

    def ready_status(self, driver: Any) -> DeviceStatus:
        return driver.status()  # type: ignore[no-any-return]

    def submit(self, job: dict[str, Any]) -> None:
        if self.status.state == OFFLINE:
            self._result(job, False, self.status)  # say so at once: the visitor is at the kiosk now
            return
        self.jobs.put(job)

    def step(self, driver: Any) -> None:
        try:
            job = self.jobs.get(timeout=self.status_poll_s)
        except queue.Empty:
            self.set_status(driver.status())
            return
        self._print(driver, job)

    def _print(self, driver: Any, job: dict[str, Any]) -> None:
        from devices.printer.driver import PrinterNotReady

        try:
            kind, document = _document(job)
        except (KeyError, TypeError, ValueError):
            log.warning("printer: refused a malformed print job")
            return
        try:
            status = getattr(driver, f"print_{kind}")(document)
        except PrinterNotReady as not_ready:
            self.set_status(not_ready.status)
            self._result(job, False, not_ready.status)
            return
        except DeviceError:
            self._result(job, False, DeviceStatus(OFFLINE, "打印机未连接"))
            raise
        self.set_status(status)
        self._result(job, True, status)

    def _result(self, job: dict[str, Any], ok: bool, status: DeviceStatus) -> None:
        if job.get("kind", "ticket") != "ticket":
            if not ok:  # a clerk's document: the counter page's print button says what went wrong
                log.warning("printer: %s %s not printed: %s", job.get("kind"), job.get("job"), status.detail)
            return
        number = (job.get("slip") or {}).get("number")
        self.emit({"type": "print.result", "ticket": number, "ok": ok, "state": status.state,
                   "detail": status.detail})


def _document(job: dict[str, Any]) -> tuple[str, Any]:
    """A print job's document as the driver's dataclass: ticket, receipt (接件回执) or notice (一次性告知书)."""
    from devices.printer.escpos import CaseReceipt, MissingNotice, TicketSlip

    kind = job.get("kind", "ticket")
    layout: Any = {"ticket": TicketSlip, "receipt": CaseReceipt, "notice": MissingNotice}[kind]
    fields = job["slip"] if kind == "ticket" else job["document"]
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()
              if k in layout.__dataclass_fields__}
    return kind, layout(**values)


class CounterBusWorker(Worker):
    kind = "counterbus"

    def __init__(self, config: DeviceConfig, emit: Emit, state_changed: StateChanged) -> None:
        super().__init__(config, emit, state_changed)
        self.commands: queue.Queue[tuple[str, int, str]] = queue.Queue()
        self.addresses = {counter: address for address, counter in config.counters.items()}

    def make_emulator(self) -> PtyEmulator:
        from devices.counterbus.emulator import CounterBusEmulator

        return CounterBusEmulator()

    def open(self) -> Any:
        from devices.counterbus.driver import CounterBus

        return CounterBus.open(self.url)

    def strip(self, counter: int, number: str) -> None:
        if counter in self.addresses:
            self.commands.put(("show", self.addresses[counter], number))

    def beep(self, counter: int) -> None:
        if counter in self.addresses:
            self.commands.put(("beep", self.addresses[counter], ""))

    def step(self, driver: Any) -> None:
        from devices.counterbus.keypad import KeyAction, Rating

        while True:
            try:
                command, address, number = self.commands.get_nowait()
            except queue.Empty:
                break
            if command == "show":
                driver.show(address, number)
            else:
                driver.beep(address)
        for action in driver.poll(0.1):
            if isinstance(action, KeyAction):
                counter = self.config.counters.get(action.counter_addr)
                if counter is None:
                    log.warning("counter bus: key from address %d, which no counter is mapped to", action.counter_addr)
                    continue
                self.emit({"type": "key", "counter": counter, "action": action.action,
                           "argument": action.argument})
            elif isinstance(action, Rating):
                counter = self.config.counters.get(action.addr)
                if counter is not None:
                    self.emit({"type": "rating", "counter": counter, "level": action.level})
        self.set_status(driver.status())


class PcscWorker(Worker):
    kind = "pcsc"

    def open(self) -> Any:
        from devices.pcsc.reader import PcscReader

        return PcscReader.open(self.config.url)

    def ready_status(self, driver: Any) -> DeviceStatus:
        return driver.status()  # type: ignore[no-any-return]

    def step(self, driver: Any) -> None:
        from devices.pcsc.reader import CardInserted

        for event in driver.poll():
            if isinstance(event, CardInserted):
                self.emit({"type": "card.tap", "reader": event.reader,
                           "uid": event.uid.hex() if event.uid else None})
        self.set_status(driver.status())


WORKERS: dict[str, type[Worker]] = {"idcard": IdCardWorker, "printer": PrinterWorker,
                                    "counterbus": CounterBusWorker, "pcsc": PcscWorker}


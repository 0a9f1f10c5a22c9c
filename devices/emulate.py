"""``onewindow emulate KIND``: one device's emulator on a pty, driven from the keyboard.

It prints the device path to put in the agent's configuration (``serial://PATH``), then takes
commands on standard input, one per line (``help`` lists them). With ``--link`` the device gets a
stable path, e.g. ``var/dev/idcard``, so the agent's configuration need not change between runs.
"""

from __future__ import annotations

import shlex
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TextIO

KINDS = ("idcard", "printer", "counterbus", "pcsc")
HALL_KINDS = ("idcard", "printer", "counterbus")  # `emulate all`: a kiosk's and a counter's devices at once
KEYS = {"call": [0x0C], "recall": [0x0D], "evaluate": [0x0B], "pause": [0x12], "no-show": [0x06, 0x0F],
        "reinstate": [0x03, 0x0F]}
HELP = {
    "idcard": "present [AGE] [NATION] [NAME]  — place a card (e.g. present 65; present 30 回)\n"
              "remove                         — lift the card",
    "printer": "paper out|low|ok  — the paper roll\ncover open|closed — the cover\n"
               "(every printed ticket is shown here)",
    "counterbus": "key ADDR call|recall|evaluate|pause|no-show|reinstate\n"
                  "transfer ADDR COUNTER\nrate ADDR LEVEL   — 5 非常满意 … 1 非常不满意\n"
                  "(the LED strips are shown here as they change)",
    "pcsc": "tap UIDHEX  — a contactless card on the vpcd reader (pcscd with vsmartcard-vpcd)\nlift",
}
WORDS = {"idcard": ("present", "remove"), "printer": ("paper", "cover"), "counterbus": ("key", "transfer", "rate"),
         "pcsc": ("tap", "lift")}


def main(kind: str, link: str | None, commands: TextIO = sys.stdin, out: TextIO = sys.stdout) -> None:
    """``kind`` ``all`` runs the ID-card reader, the printer and the counter bus together, with
    ``link`` a folder that gets one stable device path per kind (e.g. var/dev/idcard)."""
    kinds = HALL_KINDS if kind == "all" else (kind,)
    if kind == "all":
        folder = Path(link or "var/dev")
        folder.mkdir(parents=True, exist_ok=True)
        links: dict[str, str | None] = {k: str(folder / k) for k in kinds}
    else:
        links = {kind: link}
    built = {k: _build(k, links[k], out) for k in kinds}
    for name, (emulator, _) in built.items():
        if emulator is not None:
            emulator.start()
            out.write(f"{name} emulator on {emulator.device_path}  (agent url: serial://{emulator.device_path})\n")
    help_text = "\n".join(HELP[k] for k in kinds)
    out.write(help_text + "\nquit\n")
    out.flush()
    by_word = {word: handle for k, (_, handle) in built.items() for word in WORDS[k]}
    try:
        for line in commands:
            words = shlex.split(line)
            if not words:
                continue
            if words[0] in ("quit", "exit"):
                break
            if words[0] == "help" or words[0] not in by_word:
                out.write(help_text + "\n")
                continue
            try:
                out.write(by_word[words[0]](words) + "\n")
            except (ValueError, IndexError) as error:
                out.write(f"? {error}; type help\n")
            out.flush()
    finally:
        for emulator, _ in built.values():
            if emulator is not None:
                emulator.stop()


def _build(kind: str, link: str | None, out: TextIO) -> tuple[Any, Callable[[list[str]], str]]:
    if kind == "idcard":
        from devices.idcard.emulator import IdCardEmulator, demo_card

        idcard = IdCardEmulator(link)

        def card(words: list[str]) -> str:
            if words[0] == "present":
                age = int(words[1]) if len(words) > 1 else 35
                nation = words[2] if len(words) > 2 else "汉"
                name = words[3] if len(words) > 3 else "张三丰"
                idcard.present(demo_card(age, nation, name, date.today()))
                return f"card placed: age {age}, {nation}族"
            if words[0] == "remove":
                idcard.remove()
                return "card lifted"
            raise ValueError(f"unknown command {words[0]!r}")

        return idcard, card
    if kind == "printer":
        from devices.printer.emulator import PrinterEmulator

        printer = PrinterEmulator(link)
        _show_printed(printer, out)

        def paper(words: list[str]) -> str:
            if words[0] == "paper":
                printer.paper_out, printer.paper_low = words[1] == "out", words[1] == "low"
            elif words[0] == "cover":
                printer.cover_open = words[1] == "open"
            else:
                raise ValueError(f"unknown command {words[0]!r}")
            return f"paper out={printer.paper_out} low={printer.paper_low} cover open={printer.cover_open}"

        return printer, paper
    if kind == "counterbus":
        from devices.counterbus.emulator import CounterBusEmulator

        bus = CounterBusEmulator(link)
        _show_strips(bus, out)

        def press(words: list[str]) -> str:
            if words[0] == "key":
                bus.press(int(words[1]), *KEYS[words[2]])
            elif words[0] == "transfer":
                digits = [int(d) for d in words[2]]
                bus.press(int(words[1]), 0x13, *digits, 0x0F)
            elif words[0] == "rate":
                bus.rate(int(words[1]), int(words[2]))
            else:
                raise ValueError(f"unknown command {words[0]!r}")
            return "sent"

        return bus, press
    if kind == "pcsc":
        from devices.pcsc.vcard import VirtualCard

        cards: list[VirtualCard] = []

        def tap(words: list[str]) -> str:
            if words[0] == "tap":
                card = VirtualCard(bytes.fromhex(words[1]))
                card.insert()
                cards.append(card)
                return "card on the reader"
            if words[0] == "lift":
                while cards:
                    cards.pop().remove()
                return "card lifted"
            raise ValueError(f"unknown command {words[0]!r}")

        return None, tap
    raise ValueError(f"unknown device kind {kind!r} (known: {', '.join(KINDS)})")


def _watch(what: Callable[[], Any], say: Callable[[Any], object]) -> None:
    def loop() -> None:
        seen = what()
        while True:
            time.sleep(0.2)
            now = what()
            if now != seen:
                say(now)
                seen = now

    threading.Thread(target=loop, daemon=True).start()


def _show_printed(printer: Any, out: TextIO) -> None:
    _watch(lambda: len(printer.documents()), lambda n: (
        out.write("----- printed -----\n" + printer.documents()[-1].text + "\n-------------------\n"), out.flush()))


def _show_strips(bus: Any, out: TextIO) -> None:
    _watch(lambda: {a: bus.strip(a) for a in range(1, 33)}, lambda strips: (
        out.write("strips: " + ", ".join(f"{a}:[{s}]" for a, s in strips.items() if s.strip()) + "\n"), out.flush()))

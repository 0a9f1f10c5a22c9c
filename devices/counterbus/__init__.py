"""The counter bus (RS-485): caller keypads, evaluators and LED strips, addressed by counter.

``framing`` cuts bytes into frames, ``keypad`` gives them meaning, ``driver`` runs the line,
``emulator`` imitates every device on it. Frames and key sequences: docs/devices.md.
"""

from devices.counterbus.driver import CounterBus
from devices.counterbus.framing import FE68, Frame, FrameParser, Framing, encode
from devices.counterbus.keypad import KeyAction, KeySequencer, Rating, strip_digits

__all__ = [
    "FE68",
    "CounterBus",
    "Frame",
    "FrameParser",
    "Framing",
    "KeyAction",
    "KeySequencer",
    "Rating",
    "encode",
    "strip_digits",
]

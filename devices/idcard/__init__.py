"""Resident ID-card (二代证) reader on the serial SAM protocol.

``sam`` frames bytes, ``text`` decodes the card's fixed-width text block, ``reader`` is the
driver the agent polls, ``emulator`` is the device side on a pty for tests and demos.
Personal data (name, number, photo) never goes to logs: ``IdCard`` hides it in its repr.
"""

from devices.idcard.reader import CardPresented, CardRemoved, IdCardReader
from devices.idcard.text import BadCard, IdCard

__all__ = ["BadCard", "CardPresented", "CardRemoved", "IdCard", "IdCardReader"]

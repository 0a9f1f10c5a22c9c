"""PC/SC readers through pcscd (pyscard), and a virtual card for vsmartcard's vpcd."""

from devices.pcsc.reader import CardInserted, CardRemoved, PcscEvent, PcscReader, ReaderAdded, ReaderRemoved
from devices.pcsc.vcard import VirtualCard

__all__ = ["CardInserted", "CardRemoved", "PcscEvent", "PcscReader", "ReaderAdded", "ReaderRemoved",
           "VirtualCard"]

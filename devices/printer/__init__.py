"""ESC/POS ticket printer: slips (escpos), real-time status (status), driver and emulator."""

from devices.printer.driver import PrinterNotReady, TicketPrinter
from devices.printer.escpos import (
    CaseReceipt,
    MissingNotice,
    PrintedDocument,
    PrintedLine,
    TicketSlip,
    case_receipt,
    missing_materials_notice,
    parse_escpos,
    ticket,
)

__all__ = [
    "CaseReceipt", "MissingNotice", "PrintedDocument", "PrintedLine", "PrinterNotReady", "TicketPrinter",
    "TicketSlip", "case_receipt", "missing_materials_notice", "parse_escpos", "ticket",
]

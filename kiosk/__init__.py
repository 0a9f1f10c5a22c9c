"""The ticket kiosk front (/kiosk/{hall}): built by issue 6."""

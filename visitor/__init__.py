"""The visitor's own pages on a phone: the ticket (/t/…), the case (/c/…) and booking (/book/{hall})."""

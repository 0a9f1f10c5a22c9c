"""The clerk's counter front (/counter/{hall}/{number}): built by issue 5."""

"""The hall's screens: the wall display (/display/{hall}), the counter screen and the call announcer."""

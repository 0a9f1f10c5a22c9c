"""``onewindow agent --config FILE``: the program on a kiosk or counter PC that owns its devices.

config.py reads the TOML; workers.py runs one supervised thread per device (open, poll, report,
retry with backoff); outbox.py keeps what the devices did on disk until the server acknowledges
it; link.py is the WebSocket to the server, reconnecting by itself. docs/devices.md has the
messages.
"""

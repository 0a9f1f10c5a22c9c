"""The server's side of the device agents (devices/agent/): their WebSocket, what their devices
report, and what the hall sends back to them (tickets to print, numbers for the LED strips).
The protocol is written down in docs/devices.md."""

"""The device agent and its drivers (onewindow agent): built by issue 7."""

"""The self-service ticket kiosk (/kiosk/{hall}): its page, template, script and styles."""

"""The settings of sessions and secrets (security issue points 3 and 11)."""

from __future__ import annotations

import pytest

from server.settings import SettingsError, load_settings

SECRET = "s" * 32


def test_a_secret_key_shorter_than_32_characters_is_refused_outside_demo_mode() -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY.*32"):
        load_settings({"SECRET_KEY": "a"})
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        load_settings({"SECRET_KEY": "s" * 31})
    assert load_settings({"SECRET_KEY": SECRET}).secret_key == SECRET
    assert load_settings({"SECRET_KEY": "a", "ONEWINDOW_DEMO": "1"}).secret_key == "a"


def test_session_hours() -> None:
    assert load_settings({"SECRET_KEY": SECRET}).session_hours == 12
    assert load_settings({"SECRET_KEY": SECRET, "ONEWINDOW_SESSION_HOURS": "8"}).session_hours == 8
    assert load_settings({"SECRET_KEY": SECRET, "ONEWINDOW_SESSION_HOURS": "0.5"}).session_hours == 0.5
    for bad in ("0", "-1", "forever", "1000"):
        with pytest.raises(SettingsError, match="ONEWINDOW_SESSION_HOURS"):
            load_settings({"SECRET_KEY": SECRET, "ONEWINDOW_SESSION_HOURS": bad})

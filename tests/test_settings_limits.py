"""The request limits' settings (security issue, point 5): defaults, and a bad value names its variable."""

from __future__ import annotations

import pytest

from server.settings import Limits, SettingsError, load_limits, load_settings

SECRET = "s" * 32


def test_the_defaults() -> None:
    assert load_limits({}) == Limits(max_body_bytes=1024 * 1024, header_timeout_s=10.0, body_timeout_s=60.0,
                                     keep_alive_s=5, max_connections=4096, max_header_bytes=64 * 1024)
    assert load_settings({"SECRET_KEY": SECRET}).limits == Limits()


def test_each_is_read_from_its_variable() -> None:
    limits = load_limits({"ONEWINDOW_MAX_BODY_BYTES": "2048", "ONEWINDOW_HEADER_TIMEOUT_S": "0.5",
                          "ONEWINDOW_BODY_TIMEOUT_S": "120", "ONEWINDOW_KEEP_ALIVE_S": "30",
                          "ONEWINDOW_MAX_CONNECTIONS": "100", "ONEWINDOW_MAX_HEADER_BYTES": "8192"})
    assert limits == Limits(2048, 0.5, 120.0, 30, 100, 8192)
    assert load_settings({"SECRET_KEY": SECRET, "ONEWINDOW_MAX_CONNECTIONS": "100"}).limits.max_connections == 100


@pytest.mark.parametrize(("name", "bad"), [
    ("ONEWINDOW_MAX_BODY_BYTES", "1e6"), ("ONEWINDOW_MAX_BODY_BYTES", "100"), ("ONEWINDOW_HEADER_TIMEOUT_S", "0"),
    ("ONEWINDOW_HEADER_TIMEOUT_S", "soon"), ("ONEWINDOW_BODY_TIMEOUT_S", "7200"), ("ONEWINDOW_KEEP_ALIVE_S", "1.5"),
    ("ONEWINDOW_MAX_CONNECTIONS", "²"),
    ("ONEWINDOW_MAX_CONNECTIONS", "-1"), ("ONEWINDOW_MAX_HEADER_BYTES", "99999999999"),
])
def test_a_bad_value_names_its_variable(name: str, bad: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({"SECRET_KEY": SECRET, name: bad})

"""The server's log lines: text or JSON, and never a personal datum, whatever a caller lets slip."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from server import logs


@pytest.fixture
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_for_a_collector(restore_root: None, capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("info", "json")
    logging.getLogger("onewindow.engine").warning("hall %s: the bus is not taking events", "jinan",
                                                  extra={"hall": "jinan"})
    line = json.loads(capsys.readouterr().err.strip())
    assert line["level"] == "WARNING" and line["logger"] == "onewindow.engine"
    assert line["message"] == "hall jinan: the bus is not taking events" and line["hall"] == "jinan"
    assert line["time"]


def test_an_id_number_or_phone_that_slips_through_is_masked(restore_root: None,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure("info", "text")
    log = logging.getLogger("somewhere")
    log.info("read card %s for 张三, phone %s", "11010519491231002X", "13812345678")
    log.info("ticket A001 seq 1733400000000 count 350102198001011234567")  # not an ID number: 21 digits
    err = capsys.readouterr().err
    assert "11010519491231002X" not in err and "13812345678" not in err
    assert "**************002X" in err and "138****5678" in err
    assert "1733400000000" in err and "350102198001011234567" in err


def test_a_wrong_format_is_refused() -> None:
    with pytest.raises(ValueError, match="json"):
        logs.configure("info", "xml")

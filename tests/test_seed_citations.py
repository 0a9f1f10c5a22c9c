"""The docs cite the seed (docs/seed/, the Jin'an District service specification of 2017) by
article: each citation must point at an article that says what the docs say it does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = (ROOT / "docs" / "seed" / "jinan-one-window-spec-2017.txt").read_text(encoding="utf-8")
NUMERALS = "一二三四五六七八九十"


def chinese_numeral(n: int) -> str:
    if n <= 10:
        return NUMERALS[n - 1]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else NUMERALS[tens - 1]) + "十" + (NUMERALS[ones - 1] if ones else "")


def article(n: int) -> str:
    """The text of 第N条, up to the next article."""
    start = SEED.index(f"第{chinese_numeral(n)}条")
    following = re.search(r"\n第[一二三四五六七八九十]+条", SEED[start + 3:])
    return SEED[start: start + 3 + following.start()] if following else SEED[start:]


# (doc, a phrase of the passage that cites, words one of which each cited article must contain)
CLAIMS = [
    ("docs/kpis.md", "the 一窗受理 model of the seed", ("一窗受理",)),
    ("docs/kpis.md", "the 办事指南 the seed's departments", ("办事指南", "业务标准")),
    ("docs/calling-policy.md", "the seed (art. 13) serves the special groups first", ("优先",)),
]


@pytest.mark.parametrize(("doc", "phrase", "words"), CLAIMS)
def test_a_cited_article_says_what_the_docs_say(doc: str, phrase: str, words: tuple[str, ...]) -> None:
    text = " ".join((ROOT / doc).read_text(encoding="utf-8").split())
    start = text.index(phrase)
    cited = re.search(r"art\. ([0-9, and]+)", text[start:start + 300])
    assert cited, f"{doc}: no article cited after {phrase!r}"
    numbers = [int(n) for n in re.findall(r"\d+", cited.group(1))]
    for n in numbers:
        assert any(word in article(n) for word in words), f"{doc} cites art. {n} for {words}, which says no such thing"


def test_the_articles_are_found() -> None:
    assert article(3).startswith("第三条 “一窗受理”服务模式") and article(21).startswith("第二十一条 问题反馈")
    assert "87711892" in article(15)

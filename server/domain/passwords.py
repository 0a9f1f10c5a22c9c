"""How strong a staff password must be: the one rule every path that sets one applies (an
administrator adding or resetting an account, a user changing their own, ``onewindow user add``).

At least ``MIN_LENGTH`` characters, and zxcvbn (Dropbox's estimator, the PyPI ``zxcvbn`` package)
must rate it ``MIN_SCORE`` or better: about 10^8 guesses or more, which turns away the common
passwords, keyboard rows, repeats, dates and years, and the account's own username, name and hall
(given as ``inputs``; a Chinese name also as its pinyin, 林小雨 → linxiaoyu). A refusal says, in
Chinese, why and what to do instead.

The demo's published accounts (server/demo.py, password ``demo1234``) are written by the demo
loader straight into the store and never pass through here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pypinyin import lazy_pinyin
from zxcvbn import zxcvbn

from .errors import InvalidInput

MIN_LENGTH = 10
MIN_SCORE = 3  # zxcvbn's 0–4; 3: "safely unguessable", at least 10^8 guesses
SCORED_LENGTH = 72  # zxcvbn's own limit; what lies beyond it only adds strength
ADVICE = ("请改用至少 10 个字符、不易猜到的密码：可用几个不相关的词（拼音或英文）加上数字或符号，"
          "不要用姓名、生日、工号、键盘顺序或常见密码")
RULE = (f"新密码至少 {MIN_LENGTH} 个字符，且不易被猜到：不要用姓名、生日、工号、键盘顺序或常见密码；"
        "可用几个不相关的词（拼音或英文）加上数字或符号。")
ADVICE_EN = "use 10 characters or more, e.g. a few unrelated words with digits or symbols"

# zxcvbn keeps the inputs of the call being scored in a module-level dictionary: one call at a time.
_scoring = threading.Lock()

# What the weakest part of a password is, by zxcvbn's pattern (and dictionary), in words a clerk reads.
_WHY = {
    "passwords": ("是常见密码或与常见密码相似", "it is a common password or close to one"),
    "user_inputs": ("包含了用户名、姓名或大厅编码", "it contains the username, the name or the hall"),
    "english_wikipedia": ("只是一个常见单词", "it is a common word"),
    "us_tv_and_film": ("只是一个常见单词", "it is a common word"),
    "surnames": ("只是一个常见的名字", "it is a common name"),
    "male_names": ("只是一个常见的名字", "it is a common name"),
    "female_names": ("只是一个常见的名字", "it is a common name"),
    "spatial": ("是键盘上相连的按键", "it is a row or pattern of keys"),
    "repeat": ("有重复的字符或片段", "it repeats characters or a part"),
    "sequence": ("是连续的字母或数字（如 abc、6543）", "it is a sequence such as abc or 6543"),
    "regex": ("包含年份", "it contains a year"),
    "date": ("包含日期", "it contains a date"),
}
_GUESSABLE = ("太容易被猜到", "it is too easy to guess")


def weakness(password: str, inputs: Iterable[str | None] = ()) -> tuple[str, str] | None:
    """Why ``password`` is too weak, in Chinese and English; None when it is strong enough."""
    if len(password) < MIN_LENGTH:
        return (f"密码太短（{len(password)} 个字符），至少需要 {MIN_LENGTH} 个",
                f"the password is too short: {len(password)} characters, {MIN_LENGTH} needed")
    words = _spelled([w for w in inputs if w])
    with _scoring:
        result = zxcvbn(password[:SCORED_LENGTH], user_inputs=words)
    if result["score"] >= MIN_SCORE:
        return None
    zh, en = _reason(result["sequence"])
    return f"密码{zh}", f"the password is too weak: {en}"


def _spelled(words: list[str]) -> list[str]:
    """The words, and the pinyin of those written in Chinese characters (林小雨: linxiaoyu, xiaoyu)."""
    out = list(words)
    for word in words:
        if any("\u4e00" <= ch <= "\u9fff" for ch in word):
            syllables = lazy_pinyin(word)
            out += ["".join(syllables), "".join(syllables[1:])] if len(syllables) > 1 else syllables
    return out


def _reason(sequence: Sequence[Mapping[str, Any]]) -> tuple[str, str]:
    """The reason given by the longest guessable part, as zxcvbn's own feedback picks it."""
    parts = [m for m in sequence if m.get("pattern") != "bruteforce"]
    if not parts:
        return _GUESSABLE
    worst = max(parts, key=lambda m: len(m.get("token", "")))
    pattern = worst.get("pattern", "")
    key = worst.get("dictionary_name", "") if pattern == "dictionary" else pattern
    zh, en = _WHY.get(key, _GUESSABLE)
    return f"{zh}，{_GUESSABLE[0]}" if (zh, en) != _GUESSABLE else zh, en


def check(password: str, inputs: Iterable[str | None] = (), field: str = "password") -> None:
    """InvalidInput naming ``field`` with why and what to do, unless ``password`` is strong enough."""
    found = weakness(password, inputs)
    if found is not None:
        zh, en = found
        raise InvalidInput.coded("weak_password", f"{zh}。{ADVICE} ({en}; {ADVICE_EN})", field)

"""displays/static/js/announcer.js in Debian's Chromium, with the clips that scripts/voice.py made,
served by the real server: every clip decodes, calls that arrive together are spoken one after another in
order, a recall is spoken again, and neither a missing clip nor a stalled audio clock stalls the
queue. Headless Chromium has no Chinese voice, so "auto" speaks with the clips; the speech path
runs against a stand-in speechSynthesis, the one browser part these tests replace."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.conftest import wait_until
from tests.servers import ServerProcess

SOUNDS = Path(__file__).resolve().parents[2] / "static" / "sounds"
CLIP_KEYS = {"qing", "shi", "hao", "dao", "hao_chuangkou", "banli", "chime",
             *"0123456789", *"ABCDEFGHIJKLMNOPQRSTUVWXYZ"}
FAST = 8  # the `rate` option: every clip and pause eight times as fast

# Instruments WebAudio, replacing nothing: each buffer source started, with its buffer and when
# it plays on the context's clock, so the tests can check what was said and that nothing overlaps.
RECORD_SOURCES = """
    window.started = [];
    const start = AudioBufferSourceNode.prototype.start;
    AudioBufferSourceNode.prototype.start = function (when = 0, ...rest) {
        started.push({buffer: this.buffer, from: when, to: when + this.buffer.duration / this.playbackRate.value});
        return start.call(this, when, ...rest);
    };
"""

# A browser with a Mandarin voice, for the speech path: Cantonese and espeak voices must be passed
# over. speak() ends each utterance after 50 ms, or never while `window.mute` is set.
FAKE_SPEECH = """
    const voices = [{lang: "zh-HK", name: "Sin-ji", localService: true},
                    {lang: "cmn", name: "Chinese (Mandarin) espeak-ng", localService: true},
                    {lang: "zh-CN", name: "Tingting", localService: true}];
    window.spoken = [];
    window.mute = false;
    window.SpeechSynthesisUtterance = class { constructor(text) { this.text = text; } };
    Object.defineProperty(window, "speechSynthesis", {configurable: true, value: {
        getVoices: () => voices,
        addEventListener() {},
        cancel() { spoken.push({cancel: true}); },
        speak(u) {
            spoken.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.name});
            if (!mute) setTimeout(() => u.onend({}), 50);
        },
    }});
"""


def open_display(browser: Browser, server: ServerProcess, *init_scripts: str) -> Page:
    context = browser.new_context(base_url=server.base, locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(15_000)
    for script in init_scripts:
        context.add_init_script(script)
    page = context.new_page()
    page.goto("/static/sounds/manifest.json")  # any page of the server: the clips are same-origin
    page.set_content("<!doctype html><html lang='zh-CN'><title>大屏</title></html>")
    page.add_script_tag(url="/static/js/announcer.js")
    return page


@pytest.fixture
def display(display_browser: Browser, hall_server: ServerProcess) -> Iterator[Page]:
    page = open_display(display_browser, hall_server, RECORD_SOURCES)
    yield page
    page.context.close()


def start(page: Page, options: str = "{}") -> None:
    """A fresh `window.a`, logging start and end with their times into `window.log`."""
    page.evaluate(f"""() => {{
        window.log = [];
        const stamp = (what) => (e) => log.push([what, e.number, e.recall, performance.now()]);
        window.a = new Announcer({{repeat: 1, rate: {FAST}, onStart: stamp("start"), onEnd: stamp("end"),
                                   ...{options}}});
    }}""")


def finished(page: Page, count: int) -> list[dict[str, Any]]:
    wait_until(page, f"a.history.length >= {count}")
    history: list[dict[str, Any]] = page.evaluate("a.history")
    return history


def said(page: Page) -> list[str]:
    """The clip keys of every source started so far, in the order they play."""
    keys: list[str] = page.evaluate("""async () => {
        const names = new Map();
        for (const [key, loading] of a.buffers) names.set(await loading.catch(() => null), key);
        return started.slice().sort((x, y) => x.from - y.from).map((s) => names.get(s.buffer) ?? "?");
    }""")
    return keys


def spans(page: Page) -> list[tuple[float, float]]:
    result: list[tuple[float, float]] = page.evaluate("started.map((s) => [s.from, s.to])")
    return sorted(result)


def a012_at(counter: list[str]) -> list[str]:
    return ["qing", "A", "0", "1", "2", "hao", "dao", *counter, "hao_chuangkou", "banli"]


def test_every_clip_in_the_manifest_loads_and_decodes(display: Page) -> None:
    manifest = json.loads((SOUNDS / "manifest.json").read_text())
    assert set(manifest) == CLIP_KEYS
    decoded: dict[str, float] = display.evaluate("""async () => {
        const manifest = await (await fetch("/static/sounds/manifest.json")).json();
        const context = new OfflineAudioContext(1, 1, 16000);
        const seconds = {};
        for (const [key, clip] of Object.entries(manifest)) {
            const bytes = await (await fetch("/static/sounds/" + clip.file)).arrayBuffer();
            seconds[key] = (await context.decodeAudioData(bytes)).duration;
        }
        return seconds;
    }""")
    assert set(decoded) == CLIP_KEYS
    for key, seconds in decoded.items():
        assert 0.1 < seconds < 2, key
        assert abs(seconds * 1000 - manifest[key]["ms"]) < 5, key
    start(display)
    display.evaluate("a.load()")  # the same through the announcer's own cache
    assert display.evaluate("a.buffers.size") == len(CLIP_KEYS)
    assert display.evaluate("a.unlock()") is True


def test_calls_arriving_together_are_spoken_in_order_never_overlapping(display: Page) -> None:
    start(display)
    assert display.evaluate("speechSynthesis.getVoices().filter((v) => v.lang.startsWith('zh')).length") == 0
    display.evaluate("""new Promise((resolve) => {
        a.announce({number: "A012", counter: 3});
        setTimeout(() => { a.announce({number: "B003", counter: 12}); resolve(); }, 5);
    })""")
    assert display.evaluate("[a.current?.number, a.queue.map((e) => e.number)]") == ["A012", ["B003"]]
    first, second = finished(display, 2)
    assert [first["number"], second["number"]] == ["A012", "B003"]
    assert [first["mode"], second["mode"], first["error"], second["error"]] == ["clips", "clips", None, None]
    log = display.evaluate("log")
    assert [(what, number) for what, number, _, _ in log] == [
        ("start", "A012"), ("end", "A012"), ("start", "B003"), ("end", "B003")]
    assert log[2][3] >= log[1][3]
    assert said(display) == ["chime", *a012_at(["3"]),
                             "chime", "qing", "B", "0", "0", "3", "hao", "dao", "shi", "2", "hao_chuangkou", "banli"]
    played = spans(display)
    assert all(later[0] >= earlier[1] - 1e-6 for earlier, later in zip(played, played[1:], strict=False))


def test_repeat_says_the_sentence_again_after_one_chime(display: Page) -> None:
    start(display, "{repeat: 2}")
    display.evaluate("a.announce({number: 'A012', counter: 3})")
    assert finished(display, 1)[0]["error"] is None
    assert said(display) == ["chime", *a012_at(["3"]), *a012_at(["3"])]


def test_a_recall_is_announced_again(display: Page) -> None:
    start(display)
    display.evaluate("""
        a.announce({number: "A012", counter: 3});
        a.announce({number: "A012", counter: 3, recall: true});
    """)
    history = finished(display, 2)
    assert [(e["number"], e["recall"], e["error"]) for e in history] == [("A012", False, None), ("A012", True, None)]
    assert said(display) == ["chime", *a012_at(["3"]), "chime", *a012_at(["3"])]


def test_sentence_and_speech_text(display: Page) -> None:
    texts = display.evaluate("""[3, 12, 10, 20, 23].map((counter) => {
        const item = {number: "A012", counter};
        return [Announcer.sentence(item), Announcer.speechText(item), Announcer.clips(item).join(" ")];
    })""")
    assert texts[0] == ["请 A012号 到 3号窗口 办理", "请 A 零 一 二 号 到 三号窗口 办理",
                        "qing , A 0 1 2 hao , dao 3 hao_chuangkou banli"]
    assert texts[1][:2] == ["请 A012号 到 12号窗口 办理", "请 A 零 一 二 号 到 十二号窗口 办理"]
    assert texts[1][2].endswith("dao shi 2 hao_chuangkou banli")
    assert [t[1].split(" ")[-2] for t in texts[2:]] == ["十号窗口", "二十号窗口", "二十三号窗口"]
    named = display.evaluate("""[Announcer.sentence({number: "b7", counterName: "12号窗口"}),
                                 Announcer.speechText({number: "b7", counterName: "12号窗口"})]""")
    assert named == ["请 b7号 到 12号窗口 办理", "请 B 七 号 到 十二号窗口 办理"]


def test_a_clip_that_fails_to_load_ends_its_call_and_the_next_one_plays(display: Page) -> None:
    display.evaluate("""async () => {
        const manifest = await (await fetch("/static/sounds/manifest.json")).json();
        window.broken = {...manifest, "3": {file: "missing.wav", ms: 400}};
    }""")
    start(display, "{manifest: broken}")
    display.evaluate("""
        a.announce({number: "A012", counter: 3});
        a.announce({number: "A014", counter: 5});
    """)
    failed, spoken = finished(display, 2)
    assert (failed["number"], spoken["number"]) == ("A012", "A014")
    assert "missing.wav: HTTP 404" in str(failed["error"])
    assert spoken["error"] is None
    assert said(display) == ["chime", "qing", "A", "0", "1", "4", "hao", "dao", "5", "hao_chuangkou", "banli"]


def test_a_stalled_audio_clock_ends_the_call_and_the_next_one_plays(display: Page) -> None:
    start(display)
    display.evaluate("""async () => {
        await a.load();
        a.onStart = (e) => { if (e.number === "A012") setTimeout(() => a.context.suspend(), 300); };
        a.announce({number: "A012", counter: 3});
        a.announce({number: "A013", counter: 5});
    }""")
    stalled, spoken = finished(display, 2)
    assert stalled["error"] == "audio did not finish"
    assert spoken["error"] is None and spoken["startedAt"] >= stalled["endedAt"]
    assert display.evaluate("a.context.state") == "running"


def test_a_mandarin_voice_speaks_when_the_browser_has_one(display_browser: Browser,
                                                         hall_server: ServerProcess) -> None:
    page = open_display(display_browser, hall_server, RECORD_SOURCES, FAKE_SPEECH)
    try:
        start(page, "{repeat: 2, rate: 10}")
        assert page.evaluate("a.mode()") == "speech"
        page.evaluate("a.announce({number: 'A012', counter: 12})")
        assert finished(page, 1)[0]["mode"] == "speech"
        text = "请 A 零 一 二 号 到 十二号窗口 办理"
        assert page.evaluate("spoken") == [{"text": text, "lang": "zh-CN", "voice": "Tingting"}] * 2
        assert said(page) == ["chime"]
        # A browser that never says the utterance ended: the watchdog ends the call.
        page.evaluate("mute = true; spoken.length = 0; a.repeat = 1; a.announce({number: 'A013', counter: 3})")
        silent = finished(page, 2)[1]
        assert silent["error"] == "speech did not finish"
        assert page.evaluate("spoken.map((s) => s.cancel ?? false)") == [False, True]
    finally:
        page.context.close()

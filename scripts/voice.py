"""Generate the call announcement clips that wall displays join into "请 A零一二号 到 3号窗口 办理".

    apt-get install espeak-ng          # Debian; the only tool this needs
    .venv/bin/python scripts/voice.py  # rewrites static/sounds/*.wav and manifest.json

The clips are committed, so a display PC needs neither a Chinese voice nor the internet:
displays/static/js/announcer.js fetches them once and schedules them back to back with WebAudio.

Voice: espeak-ng `cmn-latn-pinyin`. Debian 12's espeak-ng 1.51 `cmn` voice reads Chinese through
its pinyin but says that pinyin with the English voice ("请" comes out as "king three"); the
`-latn-pinyin` variant of the same voice reads it as Mandarin, and reads a lone capital letter
the way halls do (A → ei, B → bi, W → da-bu-liu). The script prints each fragment's phonemes
(`espeak-ng -x`) so a person without speakers can still check the readings.

Format: 16 kHz mono 16-bit WAV, which every browser decodes without a codec: nothing on this
machine encodes Ogg, and the whole set is well under 1 MB. Silence is trimmed from both ends so
the joined clips sound like one sentence; the pauses between them are the player's to choose.
"""

from __future__ import annotations

import array
import json
import math
import operator
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

SOUNDS = Path(__file__).resolve().parent.parent / "static" / "sounds"
VOICE = "cmn-latn-pinyin"
WORDS_PER_MINUTE = 130  # espeak-ng's default is 175: too fast for a noisy hall
RATE = 16_000  # Hz, of the clips written
FULL_SCALE = 32_767
PEAK = 0.89  # the loudest speech clip's peak (-1 dBFS); all speech clips get the same gain
CHIME_PEAK = 0.5  # a chime sounds louder than speech at the same peak

DIGITS = "零一二三四五六七八九"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# key: what espeak-ng says. The keys are what announcer.js asks for.
FRAGMENTS: dict[str, str] = {
    "qing": "请",
    **{str(d): ch for d, ch in enumerate(DIGITS)},
    "shi": "十",  # counter numbers are read as numbers: 12号窗口 → 十二号窗口
    **{letter: letter for letter in LETTERS},
    "hao": "号",
    "dao": "到",
    "hao_chuangkou": "号窗口",
    "banli": "办理",
}


def espeak(text: str, workdir: Path) -> tuple[array.array[int], int]:
    """One fragment as 16-bit samples and their rate (espeak-ng writes 22,050 Hz)."""
    path = workdir / "fragment.wav"
    subprocess.run(["espeak-ng", "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-w", str(path), text], check=True)
    with wave.open(str(path)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2), "espeak-ng should write mono 16-bit"
        samples = array.array("h", w.readframes(w.getnframes()))
        return samples, w.getframerate()


def phonemes(text: str) -> str:
    result = subprocess.run(["espeak-ng", "-v", VOICE, "-q", "-x", text], check=True, capture_output=True,
                            text=True)
    return " ".join(result.stdout.split())


def trim(samples: array.array[int], rate: int, threshold: int = 64) -> list[float]:
    """Cut the silence at both ends, keeping a few ms of lead-in and of the decay, with short
    fades so a clip neither clicks on nor off. espeak-ng's silence is exact zeros."""
    loud = [i for i, v in enumerate(samples) if abs(v) > threshold]
    if not loud:
        raise ValueError("espeak-ng produced silence")
    start = max(0, loud[0] - rate * 10 // 1000)
    end = min(len(samples), loud[-1] + rate * 30 // 1000)
    out = [float(v) for v in samples[start:end]]
    fade_in, fade_out = rate * 3 // 1000, rate * 10 // 1000
    for i in range(fade_in):
        out[i] *= i / fade_in
    for i in range(fade_out):
        out[-1 - i] *= i / fade_out
    return out


def resample(x: list[float], src: int, dst: int, half_width: int = 16) -> list[float]:
    """Band-limited resampling with a polyphase windowed-sinc filter (no numpy here).
    The cut-off sits below the new Nyquist so the fricatives (s, sh, q) do not alias."""
    g = math.gcd(src, dst)
    up, down = dst // g, src // g
    cutoff = 0.45 * dst / src * 2  # of the source Nyquist: 7.2 kHz for 16 kHz out
    phases: list[list[float]] = []
    for p in range(up):
        frac = p / up
        taps = []
        for k in range(-half_width + 1, half_width + 1):
            t = k - frac
            sinc = 1.0 if t == 0 else math.sin(math.pi * cutoff * t) / (math.pi * cutoff * t)
            window = 0.42 + 0.5 * math.cos(math.pi * t / half_width) + 0.08 * math.cos(2 * math.pi * t / half_width)
            taps.append(sinc * max(window, 0.0))
        total = sum(taps)
        phases.append([tap / total for tap in taps])
    padded = [0.0] * half_width + x + [0.0] * half_width
    out = []
    for n in range(len(x) * up // down):
        i, p = divmod(n * down, up)
        # taps[j] weighs x[i - half_width + 1 + j], which sits at padded[i + 1 + j]
        out.append(sum(map(operator.mul, padded[i + 1:i + 1 + 2 * half_width], phases[p])))
    return out


def chime(rate: int) -> list[float]:
    """Ding-dong: E5 then C5, each a struck bar (fundamental plus a 4th partial that dies fast)."""
    length = int(rate * 1.45)
    out = [0.0] * length
    for start, freq in ((0.0, 659.25), (0.5, 523.25)):
        first = int(start * rate)
        for n in range(length - first):
            t = n / rate
            attack = min(1.0, t / 0.004)
            tone = (math.sin(2 * math.pi * freq * t) * math.exp(-t / 0.42)
                    + 0.3 * math.sin(2 * math.pi * freq * 4 * t) * math.exp(-t / 0.08)
                    + 0.12 * math.sin(2 * math.pi * freq * 2 * t) * math.exp(-t / 0.2))
            out[first + n] += attack * tone
    fade = rate * 60 // 1000
    for i in range(fade):
        out[-1 - i] *= i / fade
    return scaled(out, CHIME_PEAK / max(map(abs, out)))


def scaled(x: list[float], gain: float) -> list[float]:
    return [v * gain for v in x]


def write(path: Path, x: list[float], rate: int) -> None:
    pcm = array.array("h", (max(-FULL_SCALE, min(FULL_SCALE, round(v))) for v in x))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def main() -> int:
    SOUNDS.mkdir(parents=True, exist_ok=True)
    clips: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for key, text in FRAGMENTS.items():
            samples, src = espeak(text, Path(tmp))
            clips[key] = resample(trim(samples, src), src, RATE)
    gain = PEAK * FULL_SCALE / max(max(map(abs, x)) for x in clips.values())
    clips = {key: scaled(x, gain) for key, x in clips.items()}
    clips["chime"] = scaled(chime(RATE), FULL_SCALE)

    manifest: dict[str, dict[str, object]] = {}
    for key, x in clips.items():
        name = f"{key}.wav"
        write(SOUNDS / name, x, RATE)
        ms = round(len(x) * 1000 / RATE)
        manifest[key] = {"file": name, "ms": ms}
        said = f"{FRAGMENTS[key]}  [{phonemes(FRAGMENTS[key])}]" if key in FRAGMENTS else "(synthesized)"
        print(f"{key:>14}  {ms:5d} ms  {(SOUNDS / name).stat().st_size:6d} B  {said}")
    (SOUNDS / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in SOUNDS.iterdir())
    print(f"{len(manifest)} clips, {total / 1024:.0f} KiB in {SOUNDS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

// Announcer: a wall display speaks each call as halls say it, "请 A零一二号 到 3号窗口 办理",
// after a chime, `repeat` times, strictly one call after another: calls that arrive together
// wait their turn, none is dropped, and a recall is spoken again.
//
// Two ways to speak, never an online service:
//  - "speech": the browser's speechSynthesis, when it has a Mandarin voice of its own;
//  - "clips":  fragments recorded by scripts/voice.py into /static/sounds/, fetched and decoded
//              once, then scheduled back to back on one WebAudio timeline so they join seamlessly.
// "auto" picks speech when a zh voice is there, else clips: a display PC with no Chinese voice
// and no internet still speaks.
//
// Browsers keep audio locked until the page gets a user gesture: call unlock() from a click or
// key press. A display PC that nobody touches should start Chromium with
// --autoplay-policy=no-user-gesture-required. A call that cannot be spoken (audio locked, a clip
// that will not load) still ends, with an error, so the queue never stalls.
//
//   const announcer = new Announcer({ repeat: 2, onStart: (call) => highlight(call) });
//   announcer.load(); // optional: fetch the clips before the first call
//   document.addEventListener("click", () => announcer.unlock());
//   announcer.announce({ number: "A012", counter: 3 });
(() => {
  "use strict";
  const DIGITS = "零一二三四五六七八九";
  const PAUSE = ","; // a breath between phrases, in a clip plan
  const GAP_S = 0.04, PAUSE_S = 0.2, AFTER_CHIME_S = 0.25, REPEAT_PAUSE_S = 0.8; // at rate 1
  const SPEECH_RATE = 0.9; // of the voice's normal speed: halls speak slowly
  const SPEECH_MS_PER_CHAR = 350; // generous: the watchdog's estimate of an utterance
  const SLACK_MS = 2000; // past the expected end before a watchdog gives up
  const LOAD_TIMEOUT_MS = 5000, UNLOCK_WAIT_MS = 300, VOICES_WAIT_MS = 500, HISTORY_LIMIT = 100;

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  /** 1–99 read as a number, the Chinese way, as clip keys: 3 → 三, 10 → 十, 12 → 十二,
   *  20 → 二十, 23 → 二十三. Anything else digit by digit. */
  function numberKeys(n) {
    if (!Number.isInteger(n) || n < 1 || n > 99) return [...String(n)].filter((c) => c >= "0" && c <= "9");
    const tens = Math.floor(n / 10), ones = n % 10;
    if (tens === 0) return [String(ones)];
    return [...(tens > 1 ? [String(tens)] : []), "shi", ...(ones ? [String(ones)] : [])];
  }

  /** A ticket serial letter by letter, digit by digit: "A012" → A 零 一 二. */
  function serialKeys(number) {
    return [...String(number).toUpperCase()].filter((c) => /[A-Z0-9]/.test(c));
  }

  function counterNumber(item) {
    const n = Number(item.counter);
    if (item.counter !== undefined && item.counter !== null && Number.isInteger(n)) return n;
    const m = /\d+/.exec(item.counterName ?? "");
    return m ? Number(m[0]) : null;
  }

  const say = (key) => (key === "shi" ? "十" : /^[0-9]$/.test(key) ? DIGITS[key] : key);
  const sayNumber = (n) => numberKeys(n).map(say).join("");

  class Announcer {
    constructor({ repeat = 2, voice = "auto", rate = 1, sounds = "/static/sounds/", manifest = null,
                  onStart = () => {}, onEnd = () => {} } = {}) {
      if (!["auto", "speech", "clips"].includes(voice)) throw new Error(`unknown voice: ${voice}`);
      Object.assign(this, { repeat, voice, rate, onStart, onEnd });
      this.sounds = new URL(sounds, location.href);
      this.queue = []; // waiting, in order
      this.current = null; // being spoken
      this.history = []; // finished, in order, the last HISTORY_LIMIT: a display runs for weeks
      this.running = false;
      this.context = null;
      this.manifest = manifest ? Promise.resolve(manifest) : null;
      this.buffers = new Map(); // key → Promise<AudioBuffer>, each clip fetched and decoded once
      this.halt = null; // silences whatever the current call is playing
      this.utterance = null; // held: Chromium may collect a speaking utterance and never fire onend
      // Chromium lists its voices only after a first "voiceschanged"; where there are none, that
      // never comes: wait for it once, briefly, not before every call.
      this.voicesLoaded = "speechSynthesis" in window ? Promise.race([
        new Promise((resolve) => speechSynthesis.addEventListener("voiceschanged", resolve, { once: true })),
        sleep(VOICES_WAIT_MS)]) : Promise.resolve();
    }

    /** What the screen shows: "请 A012号 到 3号窗口 办理". */
    static sentence(item) {
      const counter = item.counterName || `${item.counter}号窗口`;
      return `请 ${item.number}号 到 ${counter} 办理`;
    }

    /** What a speech voice reads: "请 A 零 一 二 号 到 三号窗口 办理". */
    static speechText(item) {
      const serial = serialKeys(item.number).map(say).join(" ");
      const counter = item.counterName
        ? item.counterName.replace(/\d+/g, (digits) => sayNumber(Number(digits)))
        : `${sayNumber(counterNumber(item))}号窗口`;
      return `请 ${serial} 号 到 ${counter} 办理`;
    }

    /** The clip keys of one sentence, with PAUSE where a speaker breathes: "请，A零一二号，到三号
     *  窗口办理". The clips know only numbered counters: "综合受理窗口", counter 7, is 七号窗口. */
    static clips(item) {
      return ["qing", PAUSE, ...serialKeys(item.number), "hao", PAUSE, "dao",
              ...numberKeys(counterNumber(item)), "hao_chuangkou", "banli"];
    }

    /** Queue one call: {number: "A012", counter: 3, counterName?: "3号窗口", recall?: true}.
     *  Returns its entry, which moves from `queue` to `current` to `history`. */
    announce(item) {
      if (item?.number === undefined || (item.counter === undefined && !item.counterName)) {
        throw new TypeError("announce needs {number, counter} or {number, counterName}");
      }
      const entry = { number: String(item.number), counter: item.counter ?? null,
                      counterName: item.counterName ?? null, recall: Boolean(item.recall),
                      text: Announcer.sentence(item), mode: null, error: null, startedAt: null, endedAt: null };
      this.queue.push(entry);
      this._pump();
      return entry;
    }

    /** Call from a click or key press: browsers start audio only after a user gesture. */
    async unlock() {
      const context = this._context();
      if (context && context.state !== "running") {
        await Promise.race([context.resume().catch(() => {}), sleep(UNLOCK_WAIT_MS)]);
      }
      return context?.state === "running";
    }

    /** Fetch and decode every clip now, so the first call does not wait for the network. */
    async load() {
      const manifest = await this._manifest();
      await Promise.all(Object.keys(manifest).map((key) => this._buffer(key)));
    }

    /** "speech" or "clips", as "auto" would choose now. */
    async mode() {
      if (this.voice !== "auto") return this.voice;
      if (!("speechSynthesis" in window)) return "clips";
      if (speechSynthesis.getVoices().length === 0) await this.voicesLoaded;
      return this._zhVoice() ? "speech" : "clips";
    }

    async _pump() {
      if (this.running) return;
      this.running = true;
      while (this.queue.length) {
        const entry = (this.current = this.queue.shift());
        entry.startedAt = performance.now();
        this._notify(this.onStart, entry);
        try {
          entry.mode = await this.mode();
          await this._speak(entry);
        } catch (error) {
          entry.error = String(error?.message ?? error);
          this.halt?.(); // whatever a watchdog cut short must not sound over the next call
        }
        this.halt = null;
        entry.endedAt = performance.now();
        this.history.push(entry);
        if (this.history.length > HISTORY_LIMIT) this.history.shift();
        this.current = null;
        this._notify(this.onEnd, entry);
      }
      this.running = false;
    }

    _notify(callback, entry) {
      try { callback(entry); } catch (error) { console.error("announcer callback", error); }
    }

    _speak(entry) {
      // The outer watchdog: a hung fetch or a player that never settles still ends the call.
      const limit = LOAD_TIMEOUT_MS + SLACK_MS + (this.repeat * 20000) / this.rate;
      let timer;
      const watchdog = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error("timed out")), limit);
      });
      const play = entry.mode === "speech" ? this._playSpeech(entry) : this._playClips(entry);
      return Promise.race([play, watchdog]).finally(() => clearTimeout(timer));
    }

    async _playClips(entry) {
      const context = await this._running();
      const keys = Announcer.clips(entry);
      const buffers = new Map();
      await Promise.all(["chime", ...keys.filter((k) => k !== PAUSE)].map(async (key) => {
        buffers.set(key, await this._buffer(key));
      }));
      const sentence = [];
      keys.forEach((key, j) => {
        if (key === PAUSE) {
          sentence.push(PAUSE_S);
          return;
        }
        if (j > 0 && keys[j - 1] !== PAUSE) sentence.push(GAP_S);
        sentence.push(buffers.get(key));
      });
      const steps = [buffers.get("chime"), AFTER_CHIME_S];
      for (let i = 0; i < this.repeat; i += 1) steps.push(...(i > 0 ? [REPEAT_PAUSE_S] : []), ...sentence);
      this._still(entry);
      await this._schedule(context, steps);
    }

    async _playSpeech(entry) {
      // The chime is a nicety here: with audio still locked, the voice may yet speak.
      try {
        const [context, chime] = await Promise.all([this._running(), this._buffer("chime")]);
        this._still(entry);
        await this._schedule(context, [chime, AFTER_CHIME_S]);
      } catch { /* speak without it */ }
      const text = Announcer.speechText(entry);
      for (let i = 0; i < this.repeat; i += 1) {
        if (i > 0) await sleep((REPEAT_PAUSE_S * 1000) / this.rate);
        this._still(entry);
        await this._say(text);
      }
    }

    /** After a watchdog gave up on a call, its player may still be awaiting a load: it must
     *  not start sounding over the next call. */
    _still(entry) {
      if (this.current !== entry) throw new Error("cancelled");
    }

    /** Plays AudioBuffers back to back on the context's clock; a number is a silence in seconds
     *  (at rate 1). Resolves when the last one ends. */
    _schedule(context, steps) {
      const sources = [];
      let t = context.currentTime + 0.05;
      for (const step of steps) {
        if (typeof step === "number") {
          t += step / this.rate;
          continue;
        }
        const source = context.createBufferSource();
        source.buffer = step;
        source.playbackRate.value = this.rate;
        source.connect(context.destination);
        source.start(t);
        sources.push(source);
        t += step.duration / this.rate;
      }
      this.halt = () => sources.forEach((s) => { try { s.stop(); } catch { /* not started */ } });
      const waitMs = (t - context.currentTime) * 1000 + SLACK_MS;
      return new Promise((resolve, reject) => {
        // A context that stops its clock (suspended, device lost) never fires onended.
        const timer = setTimeout(() => reject(new Error("audio did not finish")), waitMs);
        sources.at(-1).onended = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }

    _say(text) {
      return new Promise((resolve, reject) => {
        const utterance = (this.utterance = new SpeechSynthesisUtterance(text));
        utterance.lang = "zh-CN";
        utterance.voice = this._zhVoice();
        utterance.rate = Math.min(10, Math.max(0.1, SPEECH_RATE * this.rate));
        // Some browsers never fire onend (or nothing at all after an audio device change); the
        // queue then halts this utterance with speechSynthesis.cancel().
        const timer = setTimeout(() => reject(new Error("speech did not finish")),
                                 (text.length * SPEECH_MS_PER_CHAR) / this.rate + SLACK_MS);
        utterance.onend = () => {
          clearTimeout(timer);
          resolve();
        };
        utterance.onerror = (event) => {
          clearTimeout(timer);
          reject(new Error(`speech: ${event.error}`));
        };
        this.halt = () => speechSynthesis.cancel();
        speechSynthesis.speak(utterance);
      });
    }

    /** A Mandarin voice, zh-CN first. Not Cantonese (zh-HK reads these characters in Cantonese),
     *  and not espeak through speech-dispatcher (Linux Chromium names it "… espeak-ng"): the
     *  clips are espeak-ng already, made with the voice that reads Mandarin correctly, whereas
     *  Debian 12's `cmn` reads Chinese as English-spoken pinyin. */
    _zhVoice() {
      if (!("speechSynthesis" in window)) return null;
      const voices = speechSynthesis.getVoices().filter((v) =>
        /^(zh|cmn)([-_]|$)/i.test(v.lang) && !/(HK|MO|yue)/i.test(v.lang) && !/espeak/i.test(v.name));
      const mainland = (v) => /^(zh|cmn)[-_](CN|Hans)/i.test(v.lang);
      return voices.find((v) => mainland(v) && v.localService) ?? voices.find(mainland) ?? voices[0] ?? null;
    }

    _context() {
      if (!this.context) {
        const AudioContext = window.AudioContext ?? window.webkitAudioContext;
        if (!AudioContext) return null;
        this.context = new AudioContext();
      }
      return this.context;
    }

    async _running() {
      const context = this._context();
      if (!context) throw new Error("no WebAudio in this browser");
      if (context.state !== "running") await Promise.race([context.resume().catch(() => {}), sleep(UNLOCK_WAIT_MS)]);
      if (context.state !== "running") {
        throw new Error("audio locked: call unlock() from a click, or start Chromium with "
                        + "--autoplay-policy=no-user-gesture-required");
      }
      return context;
    }

    _manifest() {
      if (!this.manifest) {
        this.manifest = this._fetch(new URL("manifest.json", this.sounds))
          .then((response) => response.json())
          .catch((error) => {
            this.manifest = null; // a LAN blip: try again with the next call
            throw error;
          });
      }
      return this.manifest;
    }

    _buffer(key) {
      if (!this.buffers.has(key)) {
        const loading = (async () => {
          const clip = (await this._manifest())[key];
          if (!clip) throw new Error(`no clip for ${key}`);
          const response = await this._fetch(new URL(clip.file, this.sounds));
          const bytes = await response.arrayBuffer();
          // Decoding needs a context but not a running one: clips load before the first gesture.
          const context = this._context();
          if (!context) throw new Error("no WebAudio in this browser");
          return context.decodeAudioData(bytes);
        })();
        loading.catch(() => this.buffers.delete(key)); // not cached: try again with the next call
        this.buffers.set(key, loading);
      }
      return this.buffers.get(key);
    }

    async _fetch(url) {
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), LOAD_TIMEOUT_MS);
      try {
        const response = await fetch(url, { signal: abort.signal });
        if (!response.ok) throw new Error(`${url.pathname}: HTTP ${response.status}`);
        return response;
      } finally {
        clearTimeout(timer);
      }
    }
  }

  window.Announcer = Announcer;
})();

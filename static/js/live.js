// LiveFeed: one self-healing WebSocket feed (CONTRACT "WebSocket feeds"), shared by every page.
// A page that runs for weeks must never need a reload: the feed reconnects by itself, resumes
// with ?since=<last seq>, and tells the page when it is live, reconnecting or refused.
(() => {
  "use strict";
  const BASE_MS = 500, CAP_MS = 15000, STABLE_MS = 10000, LIVE_AFTER_MS = 1000;
  const STALE_HIDDEN_MS = 30000;
  const POLICY_VIOLATION = 1008; // the server's final "no": bad token, unknown ticket

  class LiveFeed {
    /** url: "/ws/..." (same host as the page) or an absolute ws:// URL.
     *  gapless: true for hall feeds, whose seqs count up by one; false where they skip.
     *  onMessage: device messages without a seq (card.read on a kiosk feed), outside the hall's order. */
    constructor(url, { onSnapshot = () => {}, onEvent = () => {}, onState = () => {}, onMessage = () => {},
      gapless = false } = {}) {
      Object.assign(this, { url, onSnapshot, onEvent, onState, onMessage, gapless });
      this.seq = null;
      this.state = null;
      this.ws = null;
      this.attempt = 0;
      this.timer = null;
      this.stopped = true;
      this.hiddenAt = null;
      this.openedAt = null;
      this._wake = this._wake.bind(this);
    }

    start() {
      if (!this.stopped) return;
      this.stopped = false;
      document.addEventListener("visibilitychange", this._wake);
      window.addEventListener("online", this._wake);
      this._connect();
    }

    stop() {
      this.stopped = true;
      clearTimeout(this.timer);
      document.removeEventListener("visibilitychange", this._wake);
      window.removeEventListener("online", this._wake);
      this._drop();
    }

    /** Sends one message on the open socket; hall feeds take only {"type": "resync"}, which
     *  answers with a fresh snapshot. False when not connected: the caller tries again later. */
    send(message) {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
      this.ws.send(JSON.stringify(message));
      return true;
    }

    _address() {
      const u = new URL(this.url, location.href);
      if (u.protocol === "http:") u.protocol = "ws:";
      if (u.protocol === "https:") u.protocol = "wss:";
      if (this.seq !== null) u.searchParams.set("since", String(this.seq));
      return u.href;
    }

    _state(state, detail) {
      if (state !== this.state) {
        this.state = state;
        this.onState(state, detail);
      }
    }

    _connect() {
      clearTimeout(this.timer);
      this._state("connecting");
      const ws = (this.ws = new WebSocket(this._address()));
      ws.onopen = () => {
        if (ws !== this.ws) return;
        this.openedAt = Date.now();
        // A resumed feed with nothing missed sends nothing: an open socket is proof enough.
        this.timer = setTimeout(() => this._state("live"), LIVE_AFTER_MS);
      };
      ws.onmessage = (event) => {
        if (ws !== this.ws) return;
        let msg;
        try { msg = JSON.parse(event.data); } catch { return; }
        this._state("live");
        this._receive(msg);
      };
      ws.onclose = (event) => {
        if (ws !== this.ws) return; // an old socket we already replaced
        this.ws = null;
        clearTimeout(this.timer);
        if (event.code === POLICY_VIOLATION) {
          this.stopped = true;
          this._state("refused", event.reason);
          return;
        }
        if (!this.stopped) this._retry();
      };
    }

    _receive(msg) {
      if (msg.type === "snapshot") {
        this.seq = msg.seq;
        this.onSnapshot(msg);
        return;
      }
      if (typeof msg.seq !== "number") {
        this.onMessage(msg);
        return;
      }
      if (this.seq !== null && msg.seq <= this.seq) return; // a duplicate, e.g. after a resume
      if (this.gapless && this.seq !== null && msg.seq !== this.seq + 1) {
        // A lost message: drop this socket and resume from the last seq we did apply.
        this._drop();
        this._retry();
        return;
      }
      this.seq = msg.seq;
      this.onEvent(msg);
    }

    _retry() {
      if (this.openedAt !== null && Date.now() - this.openedAt >= STABLE_MS) this.attempt = 0;
      this.openedAt = null;
      this._state("offline");
      // Full jitter keeps a hall's worth of phones from reconnecting in one burst after a restart.
      const delay = Math.random() * Math.min(CAP_MS, BASE_MS * 2 ** this.attempt);
      this.attempt += 1;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this._connect(), delay);
    }

    _drop() {
      const ws = this.ws;
      this.ws = null; // first, so its onclose is ignored
      if (ws) ws.close(1000);
    }

    _wake(event) {
      if (this.stopped) return;
      if (document.visibilityState === "hidden") {
        this.hiddenAt = Date.now();
        return;
      }
      // A phone that slept may hold a socket whose TCP died silently: after a long nap, or when
      // the network comes back, resuming costs one request and catches up on what was missed.
      const napped = this.hiddenAt !== null && Date.now() - this.hiddenAt > STALE_HIDDEN_MS;
      this.hiddenAt = null;
      if (this.ws === null || napped || event.type === "online") {
        this._drop();
        this.attempt = 0;
        this._connect();
      }
    }
  }

  /** The feed-state handler of the visitor's pages (/t, /c): keeps ``state.feed``, whether the
   *  connection has been troubled, and the refusal's reason, marks <html data-feed> (for styling
   *  and the browser tests), then redraws with ``render``. */
  function trackFeed(state, render) {
    return (feed, reason) => {
      state.feed = feed;
      document.documentElement.dataset.feed = feed;
      if (feed === "offline") state.troubled = true;
      if (feed === "live") state.troubled = false;
      if (feed === "refused") state.refusal = reason || "";
      render();
    };
  }

  window.LiveFeed = LiveFeed;
  window.trackFeed = trackFeed;
})();

/*
 * channels' browser client: WebSocketBridge, a JSON WebSocket that reconnects by itself and
 * speaks the {"stream": ..., "payload": ...} frames of channels.generic.websockets'
 * WebsocketDemultiplexer and of data binding.
 *
 * This file is a classic script: <script src="{% static 'channels/js/websocketbridge.js' %}">
 * defines the global `channels` (channels.WebSocketBridge, as in Channels 1.x).
 * websocketbridge.mjs, beside it, is the ES module: it runs this file and exports the same
 * names. No build step, no dependency; documented in docs/javascript.rst.
 */
(function () {
  "use strict";

  // WebSocket.readyState values, for environments (Node) that have no WebSocket global.
  const CONNECTING = 0;
  const OPEN = 1;
  const CLOSING = 2;
  const CLOSED = 3;

  /** The options of connect() and their defaults (times in milliseconds). */
  const DEFAULTS = Object.freeze({
    reconnect: true, // or false, or a function(closeEvent) returning whether to try again
    minReconnectionDelay: 1000, // the first retry's delay, before jitter
    maxReconnectionDelay: 10000, // the cap of the delay
    reconnectionDelayGrowFactor: 2, // each retry waits this much longer than the last
    jitter: 0.5, // a retry waits between (1 - jitter) and 1 times its delay
    minUptime: 5000, // a connection this old when it drops starts the backoff over
    connectionTimeout: 4000, // an attempt not open by then is abandoned and retried
    maxRetries: Infinity, // retries in a row before giving up
    maxQueued: 100, // messages kept while disconnected; send() throws beyond that
    debug: false, // log each step to the console
  });

  const PREFIX = "WebSocketBridge: ";

  /**
   * The absolute ws: or wss: URL of `url`, resolved against the page's address
   * (`location`): a path ("/ws/") gets the page's host, and ws: or wss: by the page's scheme
   * (http: or https:); http(s): URLs become ws(s): ones. No `url` means the page's host.
   */
  function resolveSocketUrl(url, location = globalThis.location) {
    if (url !== undefined && url !== null && typeof url !== "string" && !(url instanceof URL)) {
      throw new TypeError(`${PREFIX}the URL must be a string like "/ws/", got ${describe(url)}`);
    }
    const base = location && location.href;
    let resolved;
    try {
      resolved = new URL(url ? String(url) : "/", base);
    } catch (error) {
      const where = base ? `against the page ${JSON.stringify(base)}` : "(no page to resolve against)";
      throw new SyntaxError(
        `${PREFIX}cannot make a WebSocket URL of ${describe(url)} ${where}; give a path like ` +
          `"/ws/" or a URL like "wss://example.com/ws/"`
      );
    }
    const schemes = { "http:": "ws:", "https:": "wss:", "ws:": "ws:", "wss:": "wss:" };
    const scheme = schemes[resolved.protocol];
    if (!scheme) {
      throw new SyntaxError(
        `${PREFIX}cannot open a WebSocket to ${JSON.stringify(resolved.href)}: its scheme ` +
          `${JSON.stringify(resolved.protocol)} is not ws:, wss:, http: or https:`
      );
    }
    // The "http:" → "ws:" switch only works through the string: URL refuses to change a
    // special scheme to a non-special one in place.
    resolved = new URL(scheme + resolved.href.slice(resolved.protocol.length));
    resolved.hash = ""; // fragments are not allowed in WebSocket URLs
    return resolved.href;
  }

  /** `options` over the defaults, checked; throws TypeError or RangeError naming the culprit. */
  function socketOptions(options = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`${PREFIX}options must be an object, got ${describe(options)}`);
    }
    for (const name of Object.keys(options)) {
      if (!Object.prototype.hasOwnProperty.call(DEFAULTS, name)) {
        // A warning, not an error: 1.x pages may pass options of reconnecting-websocket.
        const known = Object.keys(DEFAULTS).join(", ");
        console.warn(`${PREFIX}ignored unknown option ${JSON.stringify(name)}; known: ${known}`);
      }
    }
    const merged = { ...DEFAULTS };
    for (const name of Object.keys(DEFAULTS)) {
      if (options[name] !== undefined) merged[name] = options[name];
    }
    const need = (name, ok, what) => {
      if (!ok(merged[name])) {
        throw new RangeError(`${PREFIX}option ${name} must be ${what}, got ${describe(merged[name])}`);
      }
    };
    const time = (value) => typeof value === "number" && value >= 0 && Number.isFinite(value);
    const count = (value) => value === Infinity || (Number.isInteger(value) && value >= 0);
    const flag = (value) => typeof value === "boolean" || typeof value === "function";
    need("reconnect", flag, "true, false or a function");
    need("minReconnectionDelay", time, "a number of milliseconds >= 0");
    need("maxReconnectionDelay", (v) => time(v) && v >= merged.minReconnectionDelay,
      `a number of milliseconds >= minReconnectionDelay (${merged.minReconnectionDelay})`);
    const factor = (value) => typeof value === "number" && value >= 1 && Number.isFinite(value);
    need("reconnectionDelayGrowFactor", factor, "a number >= 1");
    need("jitter", (v) => typeof v === "number" && v >= 0 && v <= 1, "a number from 0 to 1");
    need("minUptime", time, "a number of milliseconds >= 0");
    const timeout = (value) => value === Infinity || (time(value) && value > 0);
    need("connectionTimeout", timeout, "a number of milliseconds > 0, or Infinity");
    need("maxRetries", count, "a whole number >= 0, or Infinity");
    need("maxQueued", count, "a whole number >= 0, or Infinity");
    merged.debug = Boolean(merged.debug);
    return merged;
  }

  /**
   * How long to wait before retry number `attempt` (1 for the first retry): capped exponential
   * backoff, minReconnectionDelay × reconnectionDelayGrowFactor^(attempt - 1) up to
   * maxReconnectionDelay, then shortened by a random part of up to `jitter` of it, so that the
   * pages a server restart disconnected do not all come back at the same moment.
   */
  function reconnectDelay(attempt, options = DEFAULTS, random = Math.random) {
    if (!Number.isInteger(attempt) || attempt < 1) {
      throw new RangeError(`${PREFIX}attempt must be a whole number >= 1, got ${describe(attempt)}`);
    }
    const { minReconnectionDelay: low, maxReconnectionDelay: high } = options;
    const grown = low * Math.pow(options.reconnectionDelayGrowFactor, attempt - 1);
    const capped = Math.min(high, grown);
    return Math.round(capped * (1 - options.jitter * random()));
  }

  /** Thrown by send() when maxQueued messages already wait for the connection. */
  class QueueFullError extends Error {
    constructor(limit) {
      super(
        `${PREFIX}message not sent: ${limit} messages already wait for the socket to ` +
          `(re)connect (option maxQueued); wait for its "open" event, or raise maxQueued`
      );
      this.name = "QueueFullError";
      this.limit = limit;
    }
  }

  /** First in, first out, holding at most `limit` items: push() beyond that throws. */
  class MessageQueue {
    constructor(limit) {
      if (!(limit === Infinity || (Number.isInteger(limit) && limit >= 0))) {
        throw new RangeError(
          `${PREFIX}a queue's limit must be a whole number >= 0, or Infinity, got ${describe(limit)}`
        );
      }
      this.limit = limit;
      this._items = [];
    }

    get length() {
      return this._items.length;
    }

    push(item) {
      if (this._items.length >= this.limit) throw new QueueFullError(this.limit);
      this._items.push(item);
    }

    shift() {
      return this._items.shift();
    }

    /** Empty the queue; the items it held, oldest first. */
    clear() {
      return this._items.splice(0);
    }
  }

  /**
   * What a text frame means to the bridge:
   * {kind: "stream", stream, payload} for a demultiplexed frame;
   * {kind: "error", stream, error} for a demultiplexer's refusal of a frame the page sent;
   * {kind: "plain", payload} for any other JSON; {kind: "invalid", error} if it is not JSON.
   */
  function decodeFrame(data) {
    if (typeof data !== "string") return { kind: "invalid", error: "a binary frame, not JSON text" };
    let message;
    try {
      message = JSON.parse(data);
    } catch (error) {
      return { kind: "invalid", error: `not JSON (${error.message})` };
    }
    if (message && typeof message === "object" && typeof message.stream === "string") {
      if ("payload" in message) return { kind: "stream", stream: message.stream, payload: message.payload };
      if ("error" in message) return { kind: "error", stream: message.stream, error: message.error };
    }
    return { kind: "plain", payload: message };
  }

  function describe(value) {
    if (typeof value === "string") return JSON.stringify(value);
    if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
    try {
      return JSON.stringify(value) ?? String(value);
    } catch (error) {
      return String(value);
    }
  }

  /** A plain Event carrying `details` as properties (works where CloseEvent does not exist). */
  function makeEvent(type, details) {
    return Object.assign(new Event(type), details);
  }

  const SOCKET_EVENTS = ["connecting", "open", "message", "error", "close", "reconnect"];

  /**
   * A WebSocket that comes back: when the connection drops it connects again after
   * reconnectDelay(), and what send() gets meanwhile waits in a bounded queue, sent in order
   * once the socket is open again.
   *
   * Events (addEventListener, or the on<type> properties):
   *   connecting  an attempt starts (event.attempt: 0 for the first, then the retry's number)
   *   open        a connection is open (event.reconnected: true when it replaces a lost one)
   *   reconnect   after "open", when it replaces a lost one (event.flushed: queued messages sent)
   *   message     a frame arrived (event.data)
   *   error       the underlying WebSocket reported an error
   *   close       a connection ended or an attempt failed (event.code, event.reason,
   *               event.wasClean; event.reconnecting and event.delay tell whether and when
   *               the next attempt comes)
   */
  class ReconnectingWebSocket extends EventTarget {
    constructor(url, protocols, options) {
      super();
      this.url = resolveSocketUrl(url);
      this.protocols = protocols;
      this.options = socketOptions(options);
      this.binaryType = "blob";
      this._queue = new MessageQueue(this.options.maxQueued);
      this._ws = null;
      this._state = "connecting"; // then "open", "waiting" (between attempts) or "closed"
      this._attempt = 0; // failed attempts since the last connection that stayed up
      this._everOpened = false;
      this._openedAt = 0;
      this._retryTimer = null;
      this._openTimer = null;
      for (const type of SOCKET_EVENTS) {
        this["on" + type] = null;
        // As a listener, so an exception in a page's handler cannot break the reconnection.
        this.addEventListener(type, (event) => {
          const handler = this["on" + type];
          if (typeof handler === "function") handler.call(this, event);
        });
      }
      this._connect();
    }

    /** CONNECTING while connecting or waiting to retry, OPEN, CLOSING, or CLOSED once
     * close() was called or it gave up. */
    get readyState() {
      if (this._state === "open") return this._ws.readyState;
      if (this._state === "closed") return this._ws && this._ws.readyState === CLOSING ? CLOSING : CLOSED;
      return CONNECTING;
    }

    get protocol() {
      return this._ws ? this._ws.protocol : "";
    }

    get extensions() {
      return this._ws ? this._ws.extensions : "";
    }

    get bufferedAmount() {
      return this._ws ? this._ws.bufferedAmount : 0;
    }

    /** How many messages wait for the connection. */
    get queued() {
      return this._queue.length;
    }

    /** Send `data` now if open, else once the socket is open again (QueueFullError if
     * maxQueued messages already wait; Error after close()). */
    send(data) {
      if (this._state === "closed") {
        throw new Error(
          `${PREFIX}cannot send on the socket to ${this.url}: it is closed (close() was called, ` +
            `or maxRetries ran out); call reconnect() to open it again`
        );
      }
      if (this._state === "open" && this._ws.readyState === OPEN) {
        this._ws.send(data);
      } else {
        this._queue.push(data);
        this._log(`queued a message (${this._queue.length} waiting)`);
      }
    }

    /** Close for good: no more reconnection; messages still queued are dropped. */
    close(code, reason) {
      this._state = "closed";
      this._clearTimers();
      const dropped = this._queue.clear();
      if (dropped.length) this._log(`close() dropped ${dropped.length} queued message(s)`);
      if (this._ws && this._ws.readyState < CLOSING) this._ws.close(code, reason);
    }

    /** Connect again now: after close(), after giving up, or to skip the wait for a retry. */
    reconnect() {
      if (this._state === "open" || (this._state === "connecting" && this._ws)) return;
      this._clearTimers();
      this._attempt = 0;
      this._connect();
    }

    _connect() {
      this._state = "connecting";
      this._log(`connecting to ${this.url} (attempt ${this._attempt})`);
      this.dispatchEvent(makeEvent("connecting", { attempt: this._attempt }));
      if (this._state !== "connecting") return; // a "connecting" handler called close()
      const ws = this.protocols === undefined
        ? new WebSocket(this.url)
        : new WebSocket(this.url, this.protocols);
      ws.binaryType = this.binaryType;
      this._ws = ws;
      if (this.options.connectionTimeout !== Infinity) {
        this._openTimer = setTimeout(() => {
          if (ws === this._ws && ws.readyState === CONNECTING) {
            this._log(`no connection after ${this.options.connectionTimeout} ms; trying again`);
            ws.close(); // fires "close", which schedules the retry
          }
        }, this.options.connectionTimeout);
      }
      ws.addEventListener("open", () => ws === this._ws && this._opened());
      ws.addEventListener("message", (event) => {
        if (ws !== this._ws) return;
        this.dispatchEvent(makeEvent("message", { data: event.data, origin: event.origin }));
      });
      ws.addEventListener("error", () => ws === this._ws && this.dispatchEvent(makeEvent("error", {})));
      ws.addEventListener("close", (event) => ws === this._ws && this._closed(event));
    }

    _opened() {
      clearTimeout(this._openTimer);
      if (this._state === "closed") return; // close() came first; the socket is closing
      this._state = "open";
      this._openedAt = Date.now();
      const reconnected = this._everOpened;
      this._everOpened = true;
      // Queued messages go first: they were sent before anything an "open" handler sends.
      let flushed = 0;
      while (this._queue.length && this._ws.readyState === OPEN) {
        this._ws.send(this._queue.shift());
        flushed += 1;
      }
      this._log(`open${reconnected ? " again" : ""}; sent ${flushed} queued message(s)`);
      this.dispatchEvent(makeEvent("open", { reconnected }));
      if (reconnected) this.dispatchEvent(makeEvent("reconnect", { flushed }));
    }

    _closed(event) {
      clearTimeout(this._openTimer);
      const details = { code: event.code, reason: event.reason, wasClean: event.wasClean };
      if (this._state === "closed") {
        this.dispatchEvent(makeEvent("close", { ...details, reconnecting: false, delay: null }));
        return;
      }
      if (this._state === "open" && Date.now() - this._openedAt >= this.options.minUptime) {
        this._attempt = 0; // it had been up a while: a fresh outage, start the backoff over
      }
      this._attempt += 1;
      const wanted = typeof this.options.reconnect === "function"
        ? Boolean(this.options.reconnect(event))
        : this.options.reconnect;
      if (!wanted || this._attempt > this.options.maxRetries) {
        this._state = "closed";
        this._log(`closed (code ${event.code}); not reconnecting`);
        this.dispatchEvent(makeEvent("close", { ...details, reconnecting: false, delay: null }));
        return;
      }
      const delay = reconnectDelay(this._attempt, this.options);
      this._state = "waiting";
      this._retryTimer = setTimeout(() => {
        this._retryTimer = null;
        this._connect();
      }, delay);
      this._log(`closed (code ${event.code}); retry ${this._attempt} in ${delay} ms`);
      this.dispatchEvent(makeEvent("close", { ...details, reconnecting: true, delay }));
    }

    _clearTimers() {
      clearTimeout(this._retryTimer);
      clearTimeout(this._openTimer);
      this._retryTimer = this._openTimer = null;
    }

    _log(text) {
      if (this.options.debug) console.debug(`${PREFIX}${text}`);
    }
  }
  Object.assign(ReconnectingWebSocket, { CONNECTING, OPEN, CLOSING, CLOSED });

  // The socket's events a page may want from the bridge itself, to show the connection state.
  const RELAYED = ["connecting", "open", "close", "reconnect", "error"];

  /**
   * The 1.x API: JSON messages over a ReconnectingWebSocket (`.socket`), and streams of a
   * WebsocketDemultiplexer. Also an EventTarget: it relays the socket's connecting, open,
   * close, reconnect and error events, and fires "streamerror" (event.stream, event.error)
   * when the server refuses a frame the page sent on a stream.
   */
  class WebSocketBridge extends EventTarget {
    /** `options`: defaults for connect()'s options. */
    constructor(options) {
      super();
      this.options = { ...(options || {}) };
      this.socket = null;
      this._streams = new Map();
      this._listener = null;
    }

    /** Open the socket to `url` (a path like "/ws/" is resolved against the page). */
    connect(url, protocols, options) {
      if (this.socket) this.socket.close();
      const socket = new ReconnectingWebSocket(url, protocols, { ...this.options, ...(options || {}) });
      this.socket = socket;
      for (const type of RELAYED) {
        socket.addEventListener(type, (event) => {
          if (socket === this.socket) this.dispatchEvent(makeEvent(type, copyDetails(event)));
        });
      }
      socket.addEventListener("message", (event) => socket === this.socket && this._receive(event.data));
      // The socket's first "connecting" fired in its constructor, before the relay existed.
      this.dispatchEvent(makeEvent("connecting", { attempt: 0 }));
      return this;
    }

    /** `callback(message, null)` for each JSON message that is not on a stream. */
    listen(callback) {
      if (callback !== undefined && callback !== null && typeof callback !== "function") {
        throw new TypeError(`${PREFIX}listen() takes a function(action, stream), got ${describe(callback)}`);
      }
      this._listener = callback || null;
    }

    /** `callback(payload, stream)` for each frame on `stream` (one callback per stream). */
    demultiplex(stream, callback) {
      checkStream("demultiplex", stream);
      if (typeof callback !== "function") {
        throw new TypeError(
          `${PREFIX}demultiplex(${JSON.stringify(stream)}, callback): callback must be a ` +
            `function(action, stream), got ${describe(callback)}`
        );
      }
      this._streams.set(stream, callback);
    }

    /** Send `message` as JSON (queued while the socket reconnects). */
    send(message) {
      if (!this.socket) {
        throw new Error(`${PREFIX}send() before connect(); call bridge.connect("/your/socket/path/") first`);
      }
      this.socket.send(JSON.stringify(message));
    }

    /** An object whose send(payload) sends {"stream": name, "payload": payload}. */
    stream(name) {
      checkStream("stream", name);
      return { send: (action) => this.send({ stream: name, payload: action }) };
    }

    _receive(data) {
      const frame = decodeFrame(data);
      if (frame.kind === "stream") {
        const callback = this._streams.get(frame.stream);
        if (callback) callback(frame.payload, frame.stream);
      } else if (frame.kind === "plain") {
        if (this._listener) this._listener(frame.payload, null);
      } else if (frame.kind === "error") {
        const stream = JSON.stringify(frame.stream);
        console.warn(`${PREFIX}the server refused a frame on stream ${stream}: ${frame.error}`);
        this.dispatchEvent(makeEvent("streamerror", { stream: frame.stream, error: frame.error }));
      } else {
        console.warn(`${PREFIX}ignored a frame from ${this.socket.url}: ${frame.error}`);
      }
    }
  }

  function checkStream(method, stream) {
    if (typeof stream !== "string" || !stream) {
      throw new TypeError(
        `${PREFIX}${method}() needs a stream name (a non-empty string), got ${describe(stream)}`
      );
    }
  }

  function copyDetails(event) {
    const details = {};
    const names = ["attempt", "reconnected", "flushed", "code", "reason", "wasClean", "reconnecting", "delay"];
    for (const name of names) {
      if (name in event) details[name] = event[name];
    }
    return details;
  }

  const api = {
    WebSocketBridge,
    ReconnectingWebSocket,
    MessageQueue,
    QueueFullError,
    DEFAULTS,
    resolveSocketUrl,
    socketOptions,
    reconnectDelay,
    decodeFrame,
  };
  const existing = globalThis.channels;
  globalThis.channels = Object.assign(existing && typeof existing === "object" ? existing : {}, api);
})();

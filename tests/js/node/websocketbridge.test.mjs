// Unit tests of the pure parts of channels/static/channels/js/websocketbridge.js (URL
// resolution, backoff, the bounded queue, options, frame decoding), with Node's own test
// runner: `node --test tests/js/node/*.test.mjs` (tests/js/test_node.py runs it under pytest).
// The sockets themselves are tested in Chromium (tests/js/test_browser.py).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import bridge, {
  DEFAULTS,
  MessageQueue,
  QueueFullError,
  WebSocketBridge,
  decodeFrame,
  reconnectDelay,
  resolveSocketUrl,
  socketOptions,
} from "../../../channels/static/channels/js/websocketbridge.mjs";

const page = (href) => ({ href });

describe("the module and the global", () => {
  test("the module's default export is the global's WebSocketBridge", () => {
    assert.equal(bridge, WebSocketBridge);
    assert.equal(globalThis.channels.WebSocketBridge, WebSocketBridge);
  });
});

describe("resolveSocketUrl", () => {
  test("a path gets the page's host, and ws: on an http: page", () => {
    assert.equal(resolveSocketUrl("/ws/", page("http://example.com:8000/room/1/")), "ws://example.com:8000/ws/");
  });

  test("a path gets wss: on an https: page", () => {
    assert.equal(resolveSocketUrl("/ws/", page("https://example.com/room/")), "wss://example.com/ws/");
  });

  test("no URL means the page's host", () => {
    for (const url of [undefined, null, ""]) {
      assert.equal(resolveSocketUrl(url, page("https://example.com/a/b")), "wss://example.com/");
    }
  });

  test("a relative path resolves against the page's folder", () => {
    assert.equal(resolveSocketUrl("updates/", page("http://h/blog/post/")), "ws://h/blog/post/updates/");
  });

  test("a scheme-relative URL takes the page's scheme", () => {
    assert.equal(resolveSocketUrl("//other.org/ws/", page("https://h/")), "wss://other.org/ws/");
  });

  test("ws: and wss: URLs are kept, http(s): ones become ws(s):", () => {
    const where = page("https://h/");
    assert.equal(resolveSocketUrl("ws://a:1/x/?q=1", where), "ws://a:1/x/?q=1");
    assert.equal(resolveSocketUrl("wss://a/x/", where), "wss://a/x/");
    assert.equal(resolveSocketUrl("http://a/x/", where), "ws://a/x/");
    assert.equal(resolveSocketUrl("https://a/x/", where), "wss://a/x/");
  });

  test("the query is kept and the fragment dropped", () => {
    assert.equal(resolveSocketUrl("/ws/?room=1#top", page("http://h/")), "ws://h/ws/?room=1");
  });

  test("another scheme is refused, naming it", () => {
    assert.throws(() => resolveSocketUrl("ftp://h/ws/", page("http://h/")), {
      name: "SyntaxError",
      message: /cannot open a WebSocket to "ftp:\/\/h\/ws\/".*"ftp:"/,
    });
  });

  test("a path without a page to resolve against is refused", () => {
    assert.throws(() => resolveSocketUrl("/ws/", undefined), {
      name: "SyntaxError",
      message: /"\/ws\/" \(no page to resolve against\)/,
    });
  });

  test("a URL that is not a string is refused", () => {
    assert.throws(() => resolveSocketUrl(42, page("http://h/")), { name: "TypeError", message: /got 42/ });
  });
});

describe("reconnectDelay", () => {
  const options = socketOptions({
    minReconnectionDelay: 1000,
    maxReconnectionDelay: 10000,
    reconnectionDelayGrowFactor: 2,
    jitter: 0.5,
  });
  const noJitter = () => 0;
  const fullJitter = () => 1 - Number.EPSILON;

  test("grows exponentially from the minimum up to the cap", () => {
    const delays = [1, 2, 3, 4, 5, 6, 50].map((attempt) => reconnectDelay(attempt, options, noJitter));
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  });

  test("jitter shortens a delay by at most its share, never lengthens it", () => {
    for (const attempt of [1, 3, 8]) {
      const longest = reconnectDelay(attempt, options, noJitter);
      assert.equal(reconnectDelay(attempt, options, fullJitter), Math.round(longest * 0.5));
      for (let i = 0; i < 200; i += 1) {
        const delay = reconnectDelay(attempt, options);
        assert.ok(delay >= longest * 0.5 && delay <= longest, `${delay} outside [${longest / 2}, ${longest}]`);
      }
    }
  });

  test("random delays spread out (pages do not all come back at once)", () => {
    const delays = new Set(Array.from({ length: 50 }, () => reconnectDelay(4, options)));
    assert.ok(delays.size > 10, `only ${delays.size} distinct delays`);
  });

  test("no jitter gives the exact backoff", () => {
    const exact = socketOptions({ jitter: 0 });
    assert.equal(reconnectDelay(2, exact), DEFAULTS.minReconnectionDelay * DEFAULTS.reconnectionDelayGrowFactor);
  });

  test("the defaults: first retry within 0.5-1 s, never over 10 s", () => {
    for (let attempt = 1; attempt < 30; attempt += 1) {
      const delay = reconnectDelay(attempt, DEFAULTS);
      assert.ok(delay <= 10000 && delay >= (attempt === 1 ? 500 : 1000), `${attempt}: ${delay}`);
    }
  });

  test("attempt numbers start at 1", () => {
    assert.throws(() => reconnectDelay(0, options), { name: "RangeError", message: /got 0/ });
  });
});

describe("MessageQueue", () => {
  test("gives items back first in, first out", () => {
    const queue = new MessageQueue(3);
    queue.push("a");
    queue.push("b");
    assert.equal(queue.length, 2);
    assert.equal(queue.shift(), "a");
    queue.push("c");
    queue.push("d");
    assert.deepEqual(queue.clear(), ["b", "c", "d"]);
    assert.equal(queue.length, 0);
  });

  test("refuses an item beyond its limit, keeping the ones it has", () => {
    const queue = new MessageQueue(2);
    queue.push(1);
    queue.push(2);
    assert.throws(() => queue.push(3), (error) => {
      assert.ok(error instanceof QueueFullError);
      assert.equal(error.limit, 2);
      assert.match(error.message, /2 messages already wait .*raise maxQueued/);
      return true;
    });
    assert.deepEqual(queue.clear(), [1, 2]);
  });

  test("takes items again once some went out", () => {
    const queue = new MessageQueue(1);
    queue.push("x");
    queue.shift();
    queue.push("y");
    assert.equal(queue.length, 1);
  });

  test("with limit 0 queues nothing", () => {
    assert.throws(() => new MessageQueue(0).push("x"), QueueFullError);
  });

  test("a limit must be a whole number or Infinity", () => {
    new MessageQueue(Infinity).push("x");
    for (const limit of [-1, 1.5, "3", undefined]) {
      assert.throws(() => new MessageQueue(limit), { name: "RangeError" });
    }
  });
});

describe("socketOptions", () => {
  test("fills in the defaults", () => {
    assert.deepEqual(socketOptions({}), { ...DEFAULTS });
    assert.equal(socketOptions({ maxQueued: 5 }).maxQueued, 5);
  });

  test("names the option and the value it refuses", () => {
    const cases = [
      [{ maxQueued: -1 }, /option maxQueued must be a whole number >= 0, or Infinity, got -1/],
      [{ jitter: 2 }, /option jitter must be a number from 0 to 1, got 2/],
      [{ reconnectionDelayGrowFactor: 0.5 }, /reconnectionDelayGrowFactor must be a number >= 1/],
      [
        { minReconnectionDelay: 5000, maxReconnectionDelay: 100 },
        /maxReconnectionDelay must be .*>= minReconnectionDelay \(5000\), got 100/,
      ],
      [{ connectionTimeout: 0 }, /connectionTimeout must be .* > 0/],
      [{ reconnect: "yes" }, /option reconnect must be true, false or a function, got "yes"/],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => socketOptions(options), { name: "RangeError", message });
    }
    assert.throws(() => socketOptions("fast"), { name: "TypeError", message: /got "fast"/ });
  });

  test("warns about an unknown option (1.x pages may pass reconnecting-websocket's) and goes on", (t) => {
    const warned = [];
    t.mock.method(console, "warn", (text) => warned.push(text));
    assert.equal(socketOptions({ constructor: null, maxRetries: 3 }).maxRetries, 3);
    assert.equal(warned.length, 1);
    assert.match(warned[0], /ignored unknown option "constructor"/);
  });
});

describe("decodeFrame", () => {
  test("a demultiplexed frame", () => {
    assert.deepEqual(decodeFrame('{"stream": "notes", "payload": {"action": "create"}}'), {
      kind: "stream",
      stream: "notes",
      payload: { action: "create" },
    });
  });

  test("a demultiplexer's refusal", () => {
    assert.deepEqual(decodeFrame('{"stream": "nope", "error": "unknown stream"}'), {
      kind: "error",
      stream: "nope",
      error: "unknown stream",
    });
  });

  test("any other JSON is plain", () => {
    for (const text of ['{"text": "hi"}', "[1, 2]", "3", "null", '{"stream": 1, "payload": 2}']) {
      assert.deepEqual(decodeFrame(text), { kind: "plain", payload: JSON.parse(text) });
    }
  });

  test("text that is not JSON, and binary frames, are invalid", () => {
    assert.equal(decodeFrame("hello").kind, "invalid");
    assert.match(decodeFrame("hello").error, /not JSON/);
    assert.equal(decodeFrame(new ArrayBuffer(2)).kind, "invalid");
  });
});

describe("WebSocketBridge without a socket", () => {
  test("send() before connect() says what to do", () => {
    assert.throws(() => new WebSocketBridge().send({}), { message: /send\(\) before connect\(\); call bridge\.connect/ });
  });

  test("stream names and callbacks are checked", () => {
    const bridge = new WebSocketBridge();
    assert.throws(() => bridge.demultiplex("", () => {}), { name: "TypeError", message: /got ""/ });
    assert.throws(() => bridge.demultiplex("notes"), { name: "TypeError", message: /callback must be a function/ });
    assert.throws(() => bridge.stream(3), { name: "TypeError", message: /got 3/ });
    assert.throws(() => bridge.listen("cb"), { name: "TypeError", message: /got "cb"/ });
  });

  test("frames are dispatched to their stream, the rest to the listener", () => {
    const bridge = new WebSocketBridge();
    bridge.socket = { url: "ws://h/" }; // _receive only reads the URL, for its warnings
    const got = [];
    bridge.listen((action, stream) => got.push(["listen", action, stream]));
    bridge.demultiplex("a", (action, stream) => got.push(["a", action, stream]));
    bridge._receive('{"stream": "a", "payload": {"n": 1}}');
    bridge._receive('{"stream": "b", "payload": {"n": 2}}'); // no callback: dropped, as in 1.x
    bridge._receive('{"n": 3}');
    assert.deepEqual(got, [["a", { n: 1 }, "a"], ["listen", { n: 3 }, null]]);
  });
});

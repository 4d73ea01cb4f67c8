/*
 * channels' browser client as an ES module:
 *
 *     import { WebSocketBridge } from "/static/channels/js/websocketbridge.mjs";
 *
 * The code lives in websocketbridge.js (a classic script, for <script src>); importing it here
 * runs it once and this module exports what it defined, so both ways share one implementation.
 * It also defines the global `channels`, as the classic script does.
 */
import "./websocketbridge.js";

export const {
  WebSocketBridge,
  ReconnectingWebSocket,
  MessageQueue,
  QueueFullError,
  DEFAULTS,
  resolveSocketUrl,
  socketOptions,
  reconnectDelay,
  decodeFrame,
} = globalThis.channels;

export default WebSocketBridge;

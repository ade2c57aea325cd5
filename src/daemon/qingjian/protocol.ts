/**
 * The 轻简 (Qingjian) bridge protocol: the one place that knows the vendor's frame shapes (DESIGN.md, "Qingjian
 * bridge protocol"). Pure: no I/O, no timers, no sockets; `client.ts` does the talking.
 *
 * Inbound (bridge → daemon) is parsed leniently: unknown fields are kept (`extra`), common aliases of other
 * WeCom/WeChat bridges are mapped (MESSAGE_FIELD_ALIASES), ids sent as numbers become strings. A frame that cannot be
 * used (not JSON, not an object, a required field missing or of the wrong type, too large) yields a reason instead of
 * throwing, plus its event_id when one could be read, so the client can ack a poison event instead of having it
 * delivered forever.
 *
 * Outbound (daemon → bridge) frames are built here: acks of events, pings, pongs and the `send_text` / `send_file`
 * commands, each carrying the caller's `req_id`.
 *
 * When the real vendor format is known, the mapping is changed here and nowhere else: the shapes in frames.ts, the
 * parsing in parse-frame.ts, the building (and the mapping of the daemon's send commands) in encode-frame.ts.
 */
export * from './frames.js';
export * from './parse-frame.js';
export * from './encode-frame.js';

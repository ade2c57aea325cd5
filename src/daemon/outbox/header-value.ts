/**
 * HTTP header values must be printable ASCII: undici refuses anything else ("invalid x-aics-event-id header"), and
 * task ids are often Chinese (任务_中文_1) or hold emoji. A value that is printable ASCII without `%` goes as is;
 * any other is percent-encoded (UTF-8), so `decodeURIComponent(header)` always gives the original back. The body's
 * `event_id` field carries it unencoded.
 */
const PLAIN = /^[\x20-\x24\x26-\x7e]*$/;
/** With the u flag only a surrogate outside a pair matches; encodeURIComponent would throw on it. */
const LONE_SURROGATE = /[\ud800-\udfff]/gu;

export function headerValue(value: string): string {
  return PLAIN.test(value) ? value : encodeURIComponent(value.replace(LONE_SURROGATE, '\ufffd'));
}

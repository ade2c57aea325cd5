/**
 * What we read from a peer (a callback receiver, Tianwang, the LLM) is capped: a peer answering with a body of
 * hundreds of megabytes must not become hundreds of megabytes of our memory. The first `limit` bytes are kept, the
 * rest is discarded (the connection is closed rather than drained).
 */
import type { Readable } from 'node:stream';

/** Enough for any error message or JSON answer we act on; a callback's answer body is only logged. */
export const PEER_BODY_LIMIT_BYTES = 64 * 1024;

export interface CappedText {
  text: string;
  /** True when the body was longer than the limit and the rest was thrown away. */
  truncated: boolean;
}

/** Reads at most `limit` bytes of a response body stream, then destroys it. */
export async function readCapped(body: Readable, limit = PEER_BODY_LIMIT_BYTES): Promise<CappedText> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let truncated = false;
  try {
    for await (const chunk of body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
      const room = limit - bytes;
      if (buf.length > room) {
        chunks.push(buf.subarray(0, room));
        bytes = limit;
        truncated = true;
        break;
      }
      chunks.push(buf);
      bytes += buf.length;
    }
  } finally {
    if (truncated || !body.readableEnded) body.destroy();
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated };
}

export class BodyTooLarge extends Error {
  constructor(limit: number) {
    super(`the response body is larger than ${limit} bytes; the rest was discarded`);
  }
}

/**
 * A fetch whose responses error once more than `limit` bytes of body arrive (and say so at once when
 * content-length is larger), for clients such as the openai package that read the whole body themselves.
 */
export function cappedFetch(limit: number, inner: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const res = await inner(input, init);
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > limit) {
      await res.body?.cancel().catch(() => undefined);
      throw new BodyTooLarge(limit);
    }
    if (!res.body) return res;
    let seen = 0;
    const counted = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > limit) controller.error(new BodyTooLarge(limit));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(counted, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

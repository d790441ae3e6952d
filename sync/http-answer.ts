import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { RegistryFailure } from "./registry-client.js";

/**
 * One HTTP answer of the registry, whichever client got it: the allowlist comes through
 * node:http (it must see the bytes as received, sync/http-get.ts), the roster and events
 * through fetch. The failures below read either.
 */
export interface HttpAnswer {
  readonly status: number;
  header(name: string): string | null;
  /** The body as it arrives; reading to the end or breaking out closes it. Null when none. */
  readonly body: Readable | null;
  /** The body is still in its Content-Encoding (node:http does not decompress; fetch does). */
  readonly encoded: boolean;
}

export function fetchAnswer(response: Response): HttpAnswer {
  return {
    status: response.status,
    header: (name) => response.headers.get(name),
    body: response.body === null ? null : Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
    encoded: false,
  };
}

export function incomingAnswer(res: IncomingMessage): HttpAnswer {
  return {
    status: res.statusCode ?? 0,
    header: (name) => {
      const value = res.headers[name.toLowerCase()];
      return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
    },
    body: res,
    encoded: res.headers["content-encoding"] !== undefined,
  };
}

/** Longest Retry-After honoured, so a confused registry cannot park the gate for days. */
const MAX_RETRY_AFTER_MS = 3_600_000;
/** Longest error body kept for a message: registry error pages can be large. */
const MAX_ERROR_TEXT = 200;

export function networkFailure(err: unknown): RegistryFailure {
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
  const message = err instanceof Error ? `${err.message}${cause}` : String(err);
  return { kind: "retry", status: null, message };
}

export async function failureOf(answer: HttpAnswer): Promise<RegistryFailure> {
  const { status } = answer;
  if (status >= 300 && status < 400 && status !== 304) return redirectFailure(answer);
  const detail = await errorText(answer);
  const message = `HTTP ${status}${detail === "" ? "" : `: ${detail}`}`;
  if (status === 401 || status === 403) return { kind: "unauthorized", status, message };
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(answer.header("retry-after"), Date.now());
    return retryAfterMs === undefined
      ? { kind: "retry", status, message }
      : { kind: "retry", status, message, retryAfterMs };
  }
  return { kind: "failed", status, message };
}

/**
 * A redirect is refused, whatever its target: the registry API (registry-sync.md) has none,
 * a redirect to another origin would hand the gate's token and its events to a server the
 * operator never named, and even one on the same origin means `registry.url` is not the
 * registry's address, which the operator fixes once instead of the gate following it on
 * every request. Retried with backoff like any unexpected status.
 */
function redirectFailure(answer: HttpAnswer): RegistryFailure {
  discard(answer);
  const location = answer.header("location");
  const target = location === null ? "" : ` to ${location.slice(0, MAX_ERROR_TEXT)}`;
  return {
    kind: "failed",
    status: answer.status,
    message: `HTTP ${answer.status}: the registry redirects${target}; redirects are not followed — set registry.url to the registry's own address`,
  };
}

/** The start of an error body, on one line, for the operator; reads at most MAX_ERROR_TEXT × 4 bytes. */
async function errorText(answer: HttpAnswer): Promise<string> {
  const body = answer.body;
  // A compressed error page is not worth inflating: the status says what happened.
  if (body === null || answer.encoded) {
    discard(answer);
    return "";
  }
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Uint8Array>) {
      parts.push(Buffer.from(chunk));
      size += chunk.byteLength;
      // Breaking out of the loop closes the response: a huge error page is not read.
      if (size >= MAX_ERROR_TEXT * 4) break;
    }
  } catch {
    // The message is a courtesy; the status says what happened.
  }
  return Buffer.concat(parts).toString("utf8").replace(/\s+/g, " ").trim().slice(0, MAX_ERROR_TEXT);
}

/** Closes a body nobody will read (a 304, a redirect): the answer is known already. */
export function discard(answer: HttpAnswer): void {
  answer.body?.destroy();
}

/** Retry-After as delay-seconds or an HTTP date, in ms from `now`, capped; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

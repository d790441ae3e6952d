import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { MAX_ROSTER_BYTES } from "../daemon/trust/roster-body.js";
import type {
  AllowlistFetch,
  EventPost,
  RegistryClient,
  RegistryFailure,
  RosterFetch,
  UploadEvent,
} from "./registry-client.js";
import { RequestDeadline } from "./request-deadline.js";

export interface HttpRegistryOptions {
  /** The registry's base URL (`registry.url`), with or without a trailing slash. */
  readonly url: string;
  readonly site: string;
  /** The gate's bearer token; null sends no Authorization header (the registry then answers 401). */
  readonly token: string | null;
  /** Abandon a request after this many ms from its start, headers and body included. Default 10 minutes. */
  readonly timeoutMs?: number;
  /** Injected for tests; default the global fetch (undici). */
  readonly fetch?: typeof fetch;
}

/** Longest Retry-After honoured, so a confused registry cannot park the gate for days. */
const MAX_RETRY_AFTER_MS = 3_600_000;
/** Longest error body kept for a message: registry error pages can be large. */
const MAX_ERROR_TEXT = 200;

/** The registry over HTTP(S) with Node's fetch, as registry-sync.md describes it. */
export class HttpRegistryClient implements RegistryClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: HttpRegistryOptions) {
    this.base = `${options.url.replace(/\/+$/, "")}/v1/sites/${encodeURIComponent(options.site)}`;
    this.fetchFn = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 600_000;
  }

  /**
   * `GET {base}/{resource}[?since=V]` with the gate's token, under `deadline`; a network
   * error or a timeout is a failure to retry.
   */
  private async getSince(
    resource: "allowlist" | "roster",
    since: number | null,
    deadline: RequestDeadline,
  ): Promise<{ response: Response } | RegistryFailure> {
    const url = since === null ? `${this.base}/${resource}` : `${this.base}/${resource}?since=${since}`;
    try {
      const response = await this.fetchFn(url, {
        headers: this.headers({ accept: "application/x-ndjson" }),
        signal: deadline.signal,
        // Redirects are answered, never followed: see redirectFailure.
        redirect: "manual",
      });
      return { response };
    } catch (err) {
      return networkFailure(err);
    }
  }

  async fetchAllowlist(since: number | null, signal?: AbortSignal): Promise<AllowlistFetch> {
    const deadline = new RequestDeadline(this.timeoutMs, signal);
    let handedOver = false;
    try {
      const got = await this.getSince("allowlist", since, deadline);
      if ("kind" in got) return got;
      const { response } = got;
      if (response.status === 304) {
        await discard(response);
        return { kind: "not_modified" };
      }
      if (response.status !== 200) return await failureOf(response);
      if (response.body === null) return { kind: "failed", status: 200, message: "200 without a body" };
      const length = Number(response.headers.get("content-length"));
      // Node's Readable: iterating reads as the bytes arrive; returning early cancels the response.
      const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
      // The deadline runs on while the caller reads the body: a trickling body is abandoned
      // with the rest of the request, and the stream errors with the timeout as its reason.
      body.once("close", () => deadline.done());
      // The reader meets a timeout through its iteration (an errored stream throws its error);
      // this listener only keeps one that fires before the reading began from crashing the process.
      body.on("error", () => undefined);
      handedOver = true;
      return { kind: "body", body, bytes: Number.isSafeInteger(length) && length > 0 ? length : null };
    } finally {
      if (!handedOver) deadline.done();
    }
  }

  async fetchRoster(since: number | null, signal?: AbortSignal): Promise<RosterFetch> {
    const deadline = new RequestDeadline(this.timeoutMs, signal);
    try {
      return await this.fetchRosterWithin(since, deadline);
    } finally {
      deadline.done();
    }
  }

  private async fetchRosterWithin(since: number | null, deadline: RequestDeadline): Promise<RosterFetch> {
    const got = await this.getSince("roster", since, deadline);
    if ("kind" in got) return got;
    const { response } = got;
    if (response.status === 304) {
      await discard(response);
      return { kind: "not_modified" };
    }
    if (response.status === 404) {
      await discard(response);
      return { kind: "absent" };
    }
    if (response.status !== 200) return failureOf(response);
    if (response.body === null) return { kind: "failed", status: 200, message: "200 without a body" };
    // A roster is small: read whole, but never more than the bound, however much is sent.
    const parts: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of Readable.fromWeb(response.body as WebReadableStream<Uint8Array>)) {
        size += (chunk as Uint8Array).length;
        if (size > MAX_ROSTER_BYTES) {
          await response.body.cancel().catch(() => undefined);
          return {
            kind: "failed",
            status: 200,
            message: `the roster is larger than ${MAX_ROSTER_BYTES} bytes`,
          };
        }
        parts.push(Buffer.from(chunk as Uint8Array));
      }
    } catch (err) {
      return networkFailure(err);
    }
    return { kind: "body", body: Buffer.concat(parts) };
  }

  async postEvents(events: readonly UploadEvent[], signal?: AbortSignal): Promise<EventPost> {
    const deadline = new RequestDeadline(this.timeoutMs, signal);
    try {
      return await this.postEventsWithin(events, deadline);
    } finally {
      deadline.done();
    }
  }

  private async postEventsWithin(
    events: readonly UploadEvent[],
    deadline: RequestDeadline,
  ): Promise<EventPost> {
    let response: Response;
    try {
      response = await this.fetchFn(`${this.base}/events`, {
        method: "POST",
        headers: this.headers({ "content-type": "application/x-ndjson" }),
        body: events.map((e) => `${JSON.stringify(e)}\n`).join(""),
        signal: deadline.signal,
        redirect: "manual",
      });
    } catch (err) {
      return networkFailure(err);
    }
    if (response.status !== 200) return failureOf(response);
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      return networkFailure(err);
    }
    // An ack we cannot read is not an ack: the batch is resent and the registry drops the duplicates.
    let accepted: unknown;
    try {
      accepted = (JSON.parse(text) as { accepted?: unknown }).accepted;
    } catch {
      return { kind: "failed", status: 200, message: "200 whose body is not JSON {accepted: N}" };
    }
    if (typeof accepted !== "number" || !Number.isSafeInteger(accepted) || accepted < 0)
      return { kind: "failed", status: 200, message: "200 without a count `accepted`" };
    return { kind: "accepted", accepted };
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    return this.options.token === null ? extra : { ...extra, authorization: `Bearer ${this.options.token}` };
  }
}

function networkFailure(err: unknown): RegistryFailure {
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
  const message = err instanceof Error ? `${err.message}${cause}` : String(err);
  return { kind: "retry", status: null, message };
}

async function failureOf(response: Response): Promise<RegistryFailure> {
  const { status } = response;
  if (status >= 300 && status < 400 && status !== 304) return redirectFailure(response);
  const detail = await errorText(response);
  const message = `HTTP ${status}${detail === "" ? "" : `: ${detail}`}`;
  if (status === 401 || status === 403) return { kind: "unauthorized", status, message };
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), Date.now());
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
async function redirectFailure(response: Response): Promise<RegistryFailure> {
  await discard(response);
  const location = response.headers.get("location");
  const target = location === null ? "" : ` to ${location.slice(0, MAX_ERROR_TEXT)}`;
  return {
    kind: "failed",
    status: response.status,
    message: `HTTP ${response.status}: the registry redirects${target}; redirects are not followed — set registry.url to the registry's own address`,
  };
}

/** The start of an error body, on one line, for the operator; reads at most MAX_ERROR_TEXT × 4 bytes. */
async function errorText(response: Response): Promise<string> {
  const body = response.body;
  if (body === null) return "";
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of Readable.fromWeb(body as WebReadableStream<Uint8Array>)) {
      parts.push(Buffer.from(chunk as Uint8Array));
      size += (chunk as Uint8Array).byteLength;
      // Breaking out of the loop closes the response: a huge error page is not read.
      if (size >= MAX_ERROR_TEXT * 4) break;
    }
  } catch {
    // The message is a courtesy; the status says what happened.
  }
  return Buffer.concat(parts).toString("utf8").replace(/\s+/g, " ").trim().slice(0, MAX_ERROR_TEXT);
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // Nothing to do: the answer (304) is already known.
  }
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

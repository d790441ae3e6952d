import { MAX_ROSTER_BYTES } from "../daemon/trust/roster-body.js";
import { DEFAULT_DECODE_LIMITS, type DecodeLimits, decodeBody } from "./body-decoding.js";
import { discard, failureOf, fetchAnswer, incomingAnswer, networkFailure } from "./http-answer.js";
import { httpGet } from "./http-get.js";
import type {
  AllowlistFetch,
  EventPost,
  RegistryClient,
  RosterFetch,
  UploadEvent,
} from "./registry-client.js";
import { RequestDeadline } from "./request-deadline.js";

export { parseRetryAfter } from "./http-answer.js";

export interface HttpRegistryOptions {
  /** The registry's base URL (`registry.url`), with or without a trailing slash. */
  readonly url: string;
  readonly site: string;
  /** The gate's bearer token; null sends no Authorization header (the registry then answers 401). */
  readonly token: string | null;
  /** Abandon a request after this many ms from its start, headers and body included. Default 10 minutes. */
  readonly timeoutMs?: number;
  /** Bounds on a gzip-compressed allowlist body (`sync.gzip`). Default 1 GiB and a ratio of 50. */
  readonly gzip?: DecodeLimits;
  /** For the roster and events; injected for tests; default the global fetch (undici). */
  readonly fetch?: typeof fetch;
}

/**
 * The registry over HTTP(S), as registry-sync.md describes it. The allowlist is asked for
 * with `Accept-Encoding: gzip` over node:http, and decompressed as it streams within
 * `gzip`'s bounds (sync/body-decoding.ts); the roster and events go through fetch.
 */
export class HttpRegistryClient implements RegistryClient {
  private readonly base: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly gzip: DecodeLimits;

  constructor(private readonly options: HttpRegistryOptions) {
    this.base = `${options.url.replace(/\/+$/, "")}/v1/sites/${encodeURIComponent(options.site)}`;
    this.fetchFn = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 600_000;
    this.gzip = options.gzip ?? DEFAULT_DECODE_LIMITS;
  }

  /** `GET …/{resource}[?since=V]`. */
  private url(resource: "allowlist" | "roster", since: number | null): string {
    return since === null ? `${this.base}/${resource}` : `${this.base}/${resource}?since=${since}`;
  }

  async fetchAllowlist(since: number | null, signal?: AbortSignal): Promise<AllowlistFetch> {
    const deadline = new RequestDeadline(this.timeoutMs, signal);
    let handedOver = false;
    try {
      let res: Awaited<ReturnType<typeof httpGet>>;
      try {
        res = await httpGet(
          this.url("allowlist", since),
          this.headers({ accept: "application/x-ndjson", "accept-encoding": "gzip" }),
          deadline.signal,
        );
      } catch (err) {
        return networkFailure(err);
      }
      const answer = incomingAnswer(res);
      if (answer.status === 304) {
        discard(answer);
        return { kind: "not_modified" };
      }
      if (answer.status !== 200) return await failureOf(answer);
      const length = Number(answer.header("content-length"));
      // The deadline runs on while the caller reads the body: a trickling body is abandoned
      // with the rest of the request, and the stream errors with the timeout as its reason.
      res.once("close", () => deadline.done());
      // The reader meets a timeout through its iteration (an errored stream throws its error);
      // this listener only keeps one that fires before the reading began from crashing the process.
      res.on("error", () => undefined);
      handedOver = true;
      return {
        kind: "body",
        body: decodeBody(res, answer.header("content-encoding"), this.gzip),
        bytes: Number.isSafeInteger(length) && length > 0 ? length : null,
      };
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
    let response: Response;
    try {
      response = await this.fetchFn(this.url("roster", since), {
        headers: this.headers({ accept: "application/x-ndjson" }),
        signal: deadline.signal,
        // Redirects are answered, never followed (sync/http-answer.ts).
        redirect: "manual",
      });
    } catch (err) {
      return networkFailure(err);
    }
    const answer = fetchAnswer(response);
    if (response.status === 304) {
      discard(answer);
      return { kind: "not_modified" };
    }
    if (response.status === 404) {
      discard(answer);
      return { kind: "absent" };
    }
    if (response.status !== 200) return failureOf(answer);
    const body = answer.body;
    if (body === null) return { kind: "failed", status: 200, message: "200 without a body" };
    // A roster is small: read whole, but never more than the bound, however much is sent.
    const parts: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of body as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > MAX_ROSTER_BYTES) {
          discard(answer);
          return {
            kind: "failed",
            status: 200,
            message: `the roster is larger than ${MAX_ROSTER_BYTES} bytes`,
          };
        }
        parts.push(Buffer.from(chunk));
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
    if (response.status !== 200) return failureOf(fetchAnswer(response));
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

import type { KeyObject } from "node:crypto";
import { once } from "node:events";
import { createReadStream, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";
import { acceptsGzip, bodyHeaders, bodyWire, drainedOrClosed, type SentBody } from "./body-wire.js";
import { keepNewest } from "./newest-kept.js";
import { type AllowlistRecord, signedAllowlistLines } from "./signed-allowlist.js";
import { signedRoster } from "./signed-roster.js";

/** Requests, event posts and bodies sent, each: the newest this many are kept (keepNewest). */
const KEPT_PER_LOG = 10_000;

export type { SentBody } from "./body-wire.js";

/**
 * A scripted answer to the next allowlist GET, taking precedence over the model:
 * a body (lines, each with its LF), optionally cut after some bytes (the connection is
 * destroyed mid-body), or a bare status.
 */
export type AllowlistReply =
  | { readonly status: 200; readonly lines: Iterable<string>; readonly cutAfterBytes?: number }
  /**
   * A body already on disk (a pre-signed 10⁶ snapshot for benches), streamed with its
   * Content-Length; to a client that accepts gzip, `gzipFile` (the same body compressed
   * beforehand, as a registry would cache it) or, without one, the file compressed as it streams.
   */
  | { readonly status: 200; readonly file: string; readonly gzipFile?: string }
  | { readonly status: number; readonly retryAfter?: string; readonly text?: string };

/** A scripted answer to the next events POST. `cut`: read and keep the events, then drop the connection before answering. */
export type EventsReply = { readonly status: number; readonly text?: string } | { readonly cut: true };

export interface RegistryServerOptions {
  readonly site: string;
  /** The bearer token gates must send; null accepts any (or none). */
  readonly token: string | null;
  readonly keyId: string;
  readonly privateKey: KeyObject;
  /** Deltas are served only from this many versions back; older `since` gets a snapshot. Default 100. */
  readonly deltaWindow?: number;
  /** issuedAt of every body; default now. */
  readonly issuedAt?: () => string;
}

/** One request the server saw, for tests to assert on (the token is not kept, only whether it matched). */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly since: number | null;
  readonly authorized: boolean;
}

/** Longest events POST body accepted. */
const MAX_EVENTS_BYTES = 16 * 1024 * 1024;

/**
 * A registry that follows ../shared/spec/registry-sync.md over real HTTP, for tests, the
 * simulator and benches: it keeps a versioned allowlist (`publish` adds a version), serves
 * signed snapshots, deltas and 304s from it, and an events sink that drops ids it has seen.
 * Tests script failures (401, 429, 5xx, tampered or cut bodies) with `nextAllowlist` and
 * `nextEvents`. Bodies are generated line by line as the socket drains, never held whole,
 * and gzip-compressed as they stream when the request's Accept-Encoding allows gzip (and
 * `serveGzip` is on), as a registry in front of many gates would serve them.
 */
export class RegistryServer {
  private server: Server | undefined;
  private version = 0;
  private readonly credentials = new Map<string, object>();
  /** Records of each version, for deltas: version → records that made it. */
  private readonly changes = new Map<number, AllowlistRecord[]>();
  private readonly allowlistReplies: AllowlistReply[] = [];
  private readonly eventsReplies: EventsReply[] = [];
  /** Uploaded events by id, and ids in order of first arrival. */
  readonly events = new Map<string, Record<string, unknown>>();
  readonly eventOrder: string[] = [];
  /** Requests seen, newest last (the newest 10,000 to 20,000 are kept). */
  readonly requests: SeenRequest[] = [];
  /** Bodies (NDJSON text) of events POSTs as received, duplicates included (the newest kept, as `requests`). */
  readonly eventPosts: string[] = [];
  /** Each allowlist body sent in full, in order (a cut one is not listed; the newest kept, as `requests`). */
  readonly sentBodies: SentBody[] = [];
  /** Serve gzip to clients that ask for it; off: every body goes out as it is. */
  serveGzip = true;
  /** A snapshot producer instead of the model's map, for 10⁶-credential benches. */
  private bigSnapshot:
    | { version: number; count: number; records: () => Iterable<AllowlistRecord> }
    | undefined;

  /** The site roster it serves (site-roster.md), signed when published; none until then (404). */
  private roster: { version: number; body: string } | undefined;

  constructor(private readonly options: RegistryServerOptions) {}

  /** Publishes a new roster version of `members` and returns it; the gates pull it with the allowlist. */
  publishRoster(members: readonly object[]): number {
    const version = (this.roster?.version ?? 0) + 1;
    const body = signedRoster(
      {
        site: this.options.site,
        version,
        issuedAt: this.options.issuedAt?.() ?? new Date().toISOString(),
        members,
      },
      { keyId: this.options.keyId, privateKey: this.options.privateKey },
    );
    this.roster = { version, body };
    return version;
  }

  /** Listens on 127.0.0.1 (port 0: any free one) and returns the base URL. */
  async start(port = 0): Promise<string> {
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    server.listen(port, "127.0.0.1");
    await once(server, "listening");
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The newest version. */
  currentVersion(): number {
    return this.bigSnapshot?.version ?? this.version;
  }

  /** Adds a version made of `records` (puts and dels) and returns it. */
  publish(records: readonly AllowlistRecord[]): number {
    this.version = Math.max(this.version, this.bigSnapshot?.version ?? 0) + 1;
    this.bigSnapshot = undefined;
    for (const r of records) {
      if (r.type === "put") this.credentials.set((r.credential as { id: string }).id, r.credential);
      else this.credentials.delete(r.id);
    }
    this.changes.set(this.version, [...records]);
    return this.version;
  }

  /** Serves snapshots of `count` credentials made by `records()` as version `version` (benches). */
  serveGenerated(version: number, count: number, records: () => Iterable<AllowlistRecord>): void {
    this.bigSnapshot = { version, count, records };
  }

  /** Scripts the next allowlist answer(s); the model answers once the script is used up. */
  nextAllowlist(...replies: AllowlistReply[]): void {
    this.allowlistReplies.push(...replies);
  }

  nextEvents(...replies: EventsReply[]): void {
    this.eventsReplies.push(...replies);
  }

  /** The body the model would serve for `since` (null: snapshot), as lines; undefined for a 304. */
  bodyLines(since: number | null): Iterable<string> | undefined {
    const key = { keyId: this.options.keyId, privateKey: this.options.privateKey };
    const issuedAt = this.options.issuedAt?.() ?? new Date().toISOString();
    const site = this.options.site;
    const big = this.bigSnapshot;
    if (big !== undefined) {
      if (since === big.version) return undefined;
      return signedAllowlistLines(
        { site, kind: "snapshot", from: null, to: big.version, issuedAt, count: big.count },
        big.records(),
        key,
      );
    }
    if (since === this.version) return undefined;
    const window = this.options.deltaWindow ?? 100;
    if (since !== null && since < this.version && since >= this.version - window) {
      const records: AllowlistRecord[] = [];
      for (let v = since + 1; v <= this.version; v++) records.push(...(this.changes.get(v) ?? []));
      return signedAllowlistLines(
        { site, kind: "delta", from: since, to: this.version, issuedAt, count: records.length },
        records,
        key,
      );
    }
    const puts = [...this.credentials.values()].map((credential) => ({ type: "put" as const, credential }));
    return signedAllowlistLines(
      { site, kind: "snapshot", from: null, to: this.version, issuedAt, count: puts.length },
      puts,
      key,
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://registry");
    const sinceText = url.searchParams.get("since");
    const since = sinceText !== null && /^\d+$/.test(sinceText) ? Number(sinceText) : null;
    const token = this.options.token;
    const authorized = token === null || req.headers.authorization === `Bearer ${token}`;
    keepNewest(
      this.requests,
      { method: req.method ?? "", path: url.pathname, since, authorized },
      KEPT_PER_LOG,
    );
    const base = `/v1/sites/${encodeURIComponent(this.options.site)}`;
    if (!authorized) return end(res, 401, "bad token");
    if (req.method === "GET" && url.pathname === `${base}/allowlist`)
      return this.allowlist(since, this.serveGzip && acceptsGzip(req.headers["accept-encoding"]), res);
    if (req.method === "POST" && url.pathname === `${base}/events`) return this.acceptEvents(req, res);
    if (req.method === "GET" && url.pathname === `${base}/roster`) {
      if (this.roster === undefined) return end(res, 404, "no roster");
      if (since !== null && since >= this.roster.version) return end(res, 304, "");
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.end(this.roster.body);
      return;
    }
    end(res, 404, "not found");
  }

  private async allowlist(since: number | null, gzip: boolean, res: ServerResponse): Promise<void> {
    const scripted = this.allowlistReplies.shift();
    if (scripted !== undefined && "file" in scripted) return this.serveFile(scripted, gzip, res);
    if (scripted !== undefined && !("lines" in scripted)) {
      if (scripted.retryAfter !== undefined) res.setHeader("retry-after", scripted.retryAfter);
      return end(res, scripted.status, scripted.text ?? "");
    }
    const lines = scripted?.lines ?? this.bodyLines(since);
    if (lines === undefined) return end(res, 304, "");
    res.writeHead(200, bodyHeaders(gzip));
    const wire = bodyWire(gzip, res);
    const cutAfter = scripted?.cutAfterBytes;
    let sent = 0;
    for (const line of lines) {
      const bytes = Buffer.from(line);
      if (cutAfter !== undefined && sent + bytes.length > cutAfter) {
        wire.body.write(bytes.subarray(0, cutAfter - sent));
        // Let the partial body (compressed so far, when gzip) reach the client before the connection dies.
        await wire.flush();
        await new Promise((resolve) => setTimeout(resolve, 20));
        res.destroy();
        return;
      }
      sent += bytes.length;
      if (!wire.body.write(bytes)) await drainedOrClosed(wire.body, res);
      if (res.destroyed) return;
    }
    wire.body.end();
    this.recordSent(await wire.done);
  }

  private async serveFile(
    reply: { readonly file: string; readonly gzipFile?: string },
    gzip: boolean,
    res: ServerResponse,
  ): Promise<void> {
    const file = gzip && reply.gzipFile !== undefined ? reply.gzipFile : reply.file;
    // Compressed as it streams when no compressed copy was given: its size is known only at the end.
    const compressNow = gzip && file === reply.file;
    res.writeHead(
      200,
      compressNow
        ? bodyHeaders(true)
        : { ...bodyHeaders(gzip), "content-length": String(statSync(file).size) },
    );
    const wire = bodyWire(compressNow, res);
    await pipeline(createReadStream(file), wire.body).catch(() => res.destroy());
    const sent = await wire.done;
    this.recordSent(
      sent === undefined ? undefined : { encoding: gzip ? "gzip" : "identity", bytes: sent.bytes },
    );
  }

  private recordSent(sent: SentBody | undefined): void {
    if (sent !== undefined) keepNewest(this.sentBodies, sent, KEPT_PER_LOG);
  }

  private async acceptEvents(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_EVENTS_BYTES) return end(res, 413, "too large");
      parts.push(chunk);
    }
    const text = Buffer.concat(parts).toString("utf8");
    const scripted = this.eventsReplies.shift();
    if (scripted !== undefined && "status" in scripted) return end(res, scripted.status, scripted.text ?? "");
    keepNewest(this.eventPosts, text, KEPT_PER_LOG);
    let accepted = 0;
    for (const line of text.split("\n")) {
      if (line === "") continue;
      const event = JSON.parse(line) as Record<string, unknown>;
      const id = String(event.id);
      if (this.events.has(id)) continue;
      this.events.set(id, event);
      this.eventOrder.push(id);
      accepted++;
    }
    // Kept, but the gate never hears so: as if it crashed or timed out between send and ack.
    if (scripted !== undefined) return void res.destroy();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ accepted }));
  }
}

function end(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain" });
  res.end(text);
}

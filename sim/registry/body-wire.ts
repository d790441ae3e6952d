import type { ServerResponse } from "node:http";
import { Transform, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip, type Gzip } from "node:zlib";

/** One allowlist body as it went on the wire: its Content-Encoding and its bytes (headers and chunk framing not counted). */
export interface SentBody {
  readonly encoding: "gzip" | "identity";
  readonly bytes: number;
}

/** Where a body's bytes are written, and what came of it. */
export interface BodyWire {
  /** Write the body's own bytes here (compressed on the way when gzip). */
  readonly body: Writable;
  /** Settles once the body is on the wire or the client went away: the body sent in full, or undefined. */
  readonly done: Promise<SentBody | undefined>;
  /** Pushes what was compressed so far to the client (before a scripted cut). */
  flush(): Promise<void>;
}

/**
 * The bytes of a body on their way into `res`: gzip-compressed as they stream when `gzip`,
 * counted as they leave either way. Call after `res.writeHead`, with `bodyHeaders(gzip)`.
 */
export function bodyWire(gzip: boolean, res: ServerResponse): BodyWire {
  let bytes = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  const compressor: Gzip | undefined = gzip ? createGzip() : undefined;
  const piped = compressor === undefined ? pipeline(meter, res) : pipeline(compressor, meter, res);
  const done = piped.then(
    (): SentBody => ({ encoding: gzip ? "gzip" : "identity", bytes }),
    () => {
      res.destroy();
      return undefined;
    },
  );
  return {
    body: compressor ?? meter,
    done,
    flush: () =>
      new Promise((resolve) => (compressor === undefined ? resolve() : compressor.flush(() => resolve()))),
  };
}

/**
 * Whether an Accept-Encoding header allows gzip: listed (or `*`) without `q=0`. Absent:
 * no (RFC 9110 would allow any, but a client that says nothing gets the plain body).
 */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  let gzip: boolean | undefined;
  let any = false;
  for (const part of header.split(",")) {
    const [name = "", ...params] = part.toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const allowed = q === undefined || Number(q.slice(2)) > 0;
    const coding = name.trim();
    if (coding === "gzip" || coding === "x-gzip") gzip = allowed;
    else if (coding === "*") any = allowed;
  }
  return gzip ?? any;
}

/** The headers of an allowlist body; `vary` because the same URL answers either way. */
export function bodyHeaders(gzip: boolean): Record<string, string> {
  return gzip
    ? { "content-type": "application/x-ndjson", "content-encoding": "gzip", vary: "accept-encoding" }
    : { "content-type": "application/x-ndjson", vary: "accept-encoding" };
}

/** Waits for `out` to take more, or for the client to go away (one that left never drains). */
export function drainedOrClosed(out: Writable, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off("drain", done);
      res.off("close", done);
      resolve();
    };
    out.on("drain", done);
    res.on("close", done);
  });
}

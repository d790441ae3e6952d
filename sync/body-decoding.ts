import type { Readable } from "node:stream";
import { pipeline, Transform } from "node:stream";
import { createGunzip } from "node:zlib";
import { ApplyRefusal } from "../daemon/allowlist/apply-failure.js";

/** Bounds on a compressed allowlist body (`sync.gzip`), checked as it is decompressed. */
export interface DecodeLimits {
  /** Most bytes the body may have once decompressed. */
  readonly maxBytes: number;
  /** Most decompressed bytes per received byte, at any point of the download. */
  readonly maxRatio: number;
}

/** 1 GiB and 50: four times a 10⁶ snapshot, four times its ratio (docs/sync.md). */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxBytes: 1024 * 2 ** 20, maxRatio: 50 };

/**
 * Output allowed before the ratio is checked: the first compressed chunk of any body
 * expands before the next one arrives, and the header of a tiny delta can exceed any
 * ratio. 1 MiB more than the ratio allows is nothing to a gate.
 */
const RATIO_GRACE_BYTES = 2 ** 20;

/** Bytes received and bytes decompressed from them so far. */
interface DecodeCounts {
  wireBytes: number;
  decodedBytes: number;
}

/**
 * The body as the apply reads it, from `wire` as the registry sent it with the
 * Content-Encoding `encoding` (null when it sent none): the bytes as they are for no
 * encoding or `identity`; decompressed as a stream for `gzip` (the only one the gate asks
 * for), never held whole, and refused (an `ApplyRefusal` out of the iteration, the
 * connection closed) the moment the output passes `limits.maxBytes` or `limits.maxRatio`
 * times the bytes received so far, or the gzip stream turns out corrupt or cut short. Any
 * other encoding is refused at the first read: the gate asked for none.
 *
 * Why not fetch's own decompression: it inflates gzip, deflate and brotli of any size
 * without a bound and never shows the bytes received, so a ratio cannot be checked.
 */
export function decodeBody(
  wire: Readable,
  encoding: string | null,
  limits: DecodeLimits,
): AsyncIterable<Uint8Array> {
  const coding = (encoding ?? "").trim().toLowerCase();
  if (coding === "" || coding === "identity") return wire;
  if (coding === "gzip" || coding === "x-gzip")
    return gunzipBounded(wire, limits, { wireBytes: 0, decodedBytes: 0 });
  // Closed now: nothing of it will be read. The name is the registry's, cut to a readable size.
  wire.destroy();
  return refused(
    new ApplyRefusal(
      "unsupported_encoding",
      `the registry sent the body with Content-Encoding "${coding.slice(0, 40)}"; this gate reads gzip or none`,
    ),
  );
}

// biome-ignore lint/correctness/useYield: it refuses before anything could be yielded.
async function* refused(refusal: ApplyRefusal): AsyncGenerator<Uint8Array> {
  throw refusal;
}

async function* gunzipBounded(
  wire: Readable,
  limits: DecodeLimits,
  counts: DecodeCounts,
): AsyncGenerator<Uint8Array> {
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      counts.wireBytes += chunk.byteLength;
      done(null, chunk);
    },
  });
  // 64 KiB out per chunk, as a socket hands over plain bodies: zlib's 16 KiB default would
  // cost the apply four times the chunks for the same lines.
  const gunzip = createGunzip({ chunkSize: 64 * 1024 });
  // An error anywhere (the connection cut, the deadline, corrupt data) ends all three; the
  // iteration below throws it. The callback only keeps an unread error from going unhandled.
  pipeline(wire, meter, gunzip, () => undefined);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      counts.decodedBytes += chunk.byteLength;
      checkBounds(counts, limits);
      yield chunk;
    }
  } catch (err) {
    throw zlibRefusal(err) ?? err;
  } finally {
    // Refused or abandoned by the reader: the registry's connection is closed, not drained.
    gunzip.destroy();
    wire.destroy();
  }
}

function checkBounds(counts: DecodeCounts, limits: DecodeLimits): void {
  const { wireBytes, decodedBytes } = counts;
  if (decodedBytes > limits.maxBytes) {
    throw new ApplyRefusal(
      "decoded_too_large",
      `the gzip body decompresses to more than ${mib(limits.maxBytes)} (sync.gzip.maxDecompressedMiB) after ${wireBytes} bytes received: refused as a gzip bomb`,
    );
  }
  if (decodedBytes > RATIO_GRACE_BYTES && decodedBytes > limits.maxRatio * wireBytes) {
    throw new ApplyRefusal(
      "expansion_too_high",
      `the gzip body expands ${Math.round(decodedBytes / Math.max(1, wireBytes))} times (${decodedBytes} bytes from ${wireBytes} received), over sync.gzip.maxRatio ${limits.maxRatio}: refused as a gzip bomb`,
    );
  }
}

/** zlib's own errors (codes Z_…) as a refusal; anything else (the connection, the deadline) passes on. */
function zlibRefusal(err: unknown): ApplyRefusal | undefined {
  if (err instanceof ApplyRefusal) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string" || !code.startsWith("Z_")) return undefined;
  const message = err instanceof Error ? err.message : String(err);
  // Z_BUF_ERROR at the end: the body ended cleanly, but inside the gzip stream.
  const what =
    code === "Z_BUF_ERROR"
      ? "the gzip body ends before its gzip stream does (cut short)"
      : `the gzip body is not valid gzip (${message})`;
  return new ApplyRefusal("bad_encoding", what);
}

function mib(bytes: number): string {
  return `${Math.round((bytes / 2 ** 20) * 10) / 10} MiB`;
}

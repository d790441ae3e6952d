import type { AllowlistBodyKind, WritableAllowlistStore } from "./allowlist-store.js";
import { type ApplyFailure, ApplyRefusal } from "./apply-failure.js";
import { BodyApplication } from "./body-application.js";
import { OffThreadLineParser } from "./body-line-parser.js";
import { EventLoopTurns } from "./event-loop-turns.js";

export { APPLY_FAILURES, type ApplyFailure } from "./apply-failure.js";
export { DEFAULT_MAX_LINE_BYTES } from "./body-application.js";

export interface ApplyOptions {
  /** The gate's site: the header must name it. */
  readonly site: string;
  /** Registry keys this gate trusts: key id → base64url of the 32-byte Ed25519 public key. */
  readonly trustedKeys: Readonly<Record<string, string>>;
  /** Epoch ms, recorded as the allowlist's `syncedAt` when the body commits. */
  readonly now: number;
  /** Longest accepted line in bytes, not counting its LF. Default 64 KiB. */
  readonly maxLineBytes?: number;
  /**
   * Once aborted, the clearing of replaced allowlists stops at its next step, so a stopping
   * gate does not wait for it (what is left is cleared by the next apply). The body itself
   * is not cut by it: the reader's own stream ends that.
   */
  readonly signal?: AbortSignal;
  /**
   * Leave replaced allowlists to a clearing of their own (RetiredAllowlistClearing, as the
   * daemon runs it): the apply returns once its switch is committed, without clearing before
   * or after. Default false: a one-off apply (the CLI's import) clears them itself.
   */
  readonly leaveRetired?: boolean;
}

/** Bytes checked and staged between two looks at the clock: about 35 credential lines. */
const PIECE_BYTES = 8 * 1024;

export type ApplyResult =
  | {
      readonly ok: true;
      readonly kind: AllowlistBodyKind;
      /** Version in force before: a delta's `from`; for a snapshot, null when there was none (or another site's). */
      readonly from: number | null;
      readonly to: number;
      /** Credentials in force after the apply. */
      readonly count: number;
      /** Record lines applied. */
      readonly puts: number;
      readonly dels: number;
    }
  | { readonly ok: false; readonly reason: ApplyFailure; readonly message: string };

/**
 * Applies a registry allowlist body (registry-sync.md) to `store` as it streams in: lines
 * are checked and staged one by one, never the whole body in memory, and the update is
 * committed only when the stream has ended right after a trailer whose digest and
 * signature verify. Any failure (a check, a stream error, a storage error) discards what
 * was staged: the allowlist in force, credentials and meta, stays exactly as it was.
 *
 * The work is cut into slices of about a millisecond with a turn of the event loop between
 * them, so the gate keeps deciding scans while a large body applies; the switch itself is
 * one short transaction. Allowlists no longer in force (the one a snapshot replaced, what
 * a refused or crashed apply staged) are cleared in steps before and after, the same way.
 *
 * Refusals are returned, not thrown; the reason names the first check that failed, in
 * stream order (so a body that is both cut and tampered with may report either). Only an
 * unexpected error (a bug) is thrown, after the staged update is discarded.
 */
export async function applyAllowlistBody(
  store: WritableAllowlistStore,
  input: NodeJS.ReadableStream | AsyncIterable<Uint8Array | string>,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const turns = new EventLoopTurns();
  if (options.leaveRetired !== true) await clearRetired(store, options, turns);
  const parser = new OffThreadLineParser();
  const body = new BodyApplication(store, options, parser);
  const chunks: AsyncIterator<Uint8Array | string> = input[Symbol.asyncIterator]();
  let ended = false;
  let result: ApplyResult;
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array | string>;
      try {
        next = await chunks.next();
      } catch (err) {
        ended = true;
        // A source that decodes the body (a gzip download) refuses it with its own reason.
        if (err instanceof ApplyRefusal) throw err;
        throw new ApplyRefusal("read_error", `could not read the body: ${errorText(err)}`);
      }
      if (next.done === true) break;
      const chunk = toBuffer(next.value);
      for (let at = 0; at < chunk.length; at += PIECE_BYTES) {
        body.push(chunk.subarray(at, at + PIECE_BYTES));
        await body.settle(turns);
        await turns.turn();
      }
    }
    ended = true;
    await body.finish(turns);
    result = body.commit();
  } catch (err) {
    body.discard();
    if (!ended) await stopReading(chunks);
    if (!(err instanceof ApplyRefusal)) throw err;
    result = { ok: false, reason: err.code, message: err.message };
  } finally {
    await parser.stop();
  }
  if (options.leaveRetired !== true) await clearRetired(store, options, turns);
  return result;
}

/**
 * Clears what is no longer in force, a step at a time. A failure here changes nothing in
 * force and is not the body's fault, so it is left for the next apply to finish.
 */
async function clearRetired(
  store: WritableAllowlistStore,
  options: ApplyOptions,
  turns: EventLoopTurns,
): Promise<void> {
  try {
    while (options.signal?.aborted !== true && store.clearRetired(options.now)) await turns.turn();
  } catch {
    // Left as it is: the tables are out of force, and the next apply starts by clearing them.
  }
}

function toBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Stops the source early (closes the file or the HTTP response) once the body is refused. */
async function stopReading(chunks: AsyncIterator<Uint8Array | string>): Promise<void> {
  try {
    await chunks.return?.();
  } catch {
    // The source failing while being closed changes nothing: the body is refused already.
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

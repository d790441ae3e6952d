import { createHash, type Hash } from "node:crypto";
import {
  AllowlistChangedError,
  type AllowlistStaging,
  type AllowlistStats,
  type WritableAllowlistStore,
} from "./allowlist-store.js";
import type { ApplyOptions, ApplyResult } from "./apply-body.js";
import { ApplyRefusal } from "./apply-failure.js";
import { type BodyLineParser, inThreadLineParser, type ParsedLine } from "./body-line-parser.js";
import {
  type BodyHeader,
  type BodyRecord,
  type BodyTrailer,
  parseHeader,
  parseLine,
  parseRecord,
  parseTrailer,
} from "./body-lines.js";
import { ALLOWLIST_FORMAT, importRegistryKey, verifyBodySignature } from "./body-signature.js";
import type { EventLoopTurns } from "./event-loop-turns.js";
import { LineSplitter, LineTooLongError } from "./ndjson-lines.js";
import { ParsedLineQueue, type ParsingPlan } from "./parsed-line-queue.js";

/** Longest line accepted by default, in bytes without its LF: a credential line is about 400. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

const LF = Buffer.from("\n");
/** Lines parsed together (about 100 KB of a snapshot). */
const BATCH_LINES = 256;
/** Batches parsed ahead of the one being checked and staged. */
const BATCHES_AHEAD = 1;
/** A body announcing at least this many records is parsed off the event loop's thread. */
const OFF_THREAD_RECORDS = 4096;
/** Lines checked and staged between two looks at the clock. */
const LINES_PER_TURN = 32;

/**
 * One body as it streams through `applyAllowlistBody`: `push` each chunk as it arrives and
 * `settle` after it, then `finish` and `commit` at the end of the stream, or `discard` after
 * any failure. Lines are parsed in batches, a batch ahead (off the event loop's thread for a
 * big body: body-line-parser.ts), and checked and staged in body order by `settle`, so every
 * refusal is the one the first bad line in stream order calls for. Every check throws an
 * `ApplyRefusal`; the digest covers each line before the trailer with its LF.
 */
export class BodyApplication {
  private readonly lines: LineSplitter;
  private readonly queue: ParsedLineQueue;
  /** A line too long, met while splitting: thrown once the lines before it are checked. */
  private splitFailure: ApplyRefusal | undefined;
  private readonly digest: Hash = createHash("sha256");
  private header: BodyHeader | undefined;
  private versionBefore: number | null = null;
  private staging: AllowlistStaging | undefined;
  private records = 0;
  private puts = 0;
  private dels = 0;
  private trailerSeen = false;

  constructor(
    private readonly store: WritableAllowlistStore,
    private readonly options: ApplyOptions,
    /** Parses a big body's lines (`OFF_THREAD_RECORDS`); a small one's are parsed here. */
    private readonly bigBodyParser: BodyLineParser = inThreadLineParser,
  ) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.queue = new ParsedLineQueue(() => this.parsingPlan());
    this.lines = new LineSplitter(max, (line) => this.queue.add(line));
  }

  /** Splits `chunk` into lines and sends each full batch of them to be parsed. */
  push(chunk: Buffer): void {
    if (this.trailerSeen && chunk.length > 0) throw afterTrailer();
    if (this.splitFailure !== undefined) return;
    try {
      this.lines.push(chunk);
    } catch (err) {
      if (!(err instanceof LineTooLongError)) throw err;
      this.splitFailure = new ApplyRefusal(
        "line_too_long",
        `${err.message}: the body is not a valid allowlist`,
      );
    }
  }

  /**
   * Checks and stages the lines parsed so far, in body order, but for the last batches
   * sent, which are parsed meanwhile; gives the event loop a turn every LINES_PER_TURN lines.
   */
  async settle(turns: EventLoopTurns): Promise<void> {
    const failing = this.splitFailure !== undefined;
    if (failing) this.queue.send();
    await this.checkParsed(failing ? 0 : BATCHES_AHEAD, turns);
    if (this.splitFailure !== undefined) throw this.splitFailure;
  }

  /** At the end of the stream: checks and stages every line left. */
  async finish(turns: EventLoopTurns): Promise<void> {
    this.queue.send();
    await this.checkParsed(0, turns);
    if (this.splitFailure !== undefined) throw this.splitFailure;
    if (this.trailerSeen && this.lines.partialBytes > 0) throw afterTrailer();
  }

  commit(): ApplyResult {
    if (this.lines.partialBytes > 0) {
      throw new ApplyRefusal(
        "truncated",
        `the body ended in the middle of line ${this.lines.lineCount + 1}: the download was probably cut`,
      );
    }
    const { header, staging } = this;
    if (header === undefined || staging === undefined) {
      throw new ApplyRefusal("truncated", "the body is empty: the download was probably cut");
    }
    if (!this.trailerSeen) {
      throw new ApplyRefusal(
        "missing_trailer",
        `the body ended after ${this.records} of ${header.count} records, without its signed trailer: the download was probably cut`,
      );
    }
    let count: number;
    try {
      count = staging.commit({
        site: header.site,
        version: header.to,
        issuedAt: header.issuedAt,
        syncedAt: this.options.now,
      });
    } catch (err) {
      if (err instanceof AllowlistChangedError) {
        throw new ApplyRefusal(
          header.kind === "delta" ? "delta_from_mismatch" : "version_not_newer",
          `another update (now v${err.found.version ?? "none"}) was committed while this body was applied`,
        );
      }
      throw storeError(err);
    }
    const from = header.kind === "delta" ? header.from : this.versionBefore;
    return { ok: true, kind: header.kind, from, to: header.to, count, puts: this.puts, dels: this.dels };
  }

  discard(): void {
    try {
      this.staging?.discard();
    } catch {
      // The refusal is what the caller must see. Left-over staging goes with the connection
      // (a delta) or is dropped by a later apply once stale (a snapshot).
    }
  }

  /**
   * How the next lines are parsed. The header (the first line) is parsed here by itself, so
   * that a body for another site or an old version is refused at once; so are a small body's
   * lines, one by one as they are split. A body announcing OFF_THREAD_RECORDS or more is
   * parsed by `bigBodyParser` in batches, one parsed while the one before is checked.
   */
  private parsingPlan(): ParsingPlan {
    return this.header !== undefined && this.header.count >= OFF_THREAD_RECORDS
      ? { parser: this.bigBodyParser, batchLines: BATCH_LINES, ahead: true }
      : { parser: inThreadLineParser, batchLines: 1, ahead: false };
  }

  /** Checks and stages parsed lines in body order, leaving `keepAhead` batches to their parsing. */
  private async checkParsed(keepAhead: number, turns: EventLoopTurns): Promise<void> {
    for (;;) {
      const lines = await this.queue.take(keepAhead);
      if (lines === undefined) return;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i] as (typeof lines)[number];
        this.onLine(line.bytes, line.parsed, line.lineNumber);
        if (i % LINES_PER_TURN === LINES_PER_TURN - 1) await turns.turn();
      }
    }
  }

  private onLine(line: Buffer, parsed: ParsedLine, n: number): void {
    if (this.trailerSeen) throw afterTrailer();
    const value = parseLine(parsed, n);
    if (this.header === undefined) {
      this.start(parseHeader(value, ALLOWLIST_FORMAT));
    } else if (value.type === "trailer") {
      this.verify(parseTrailer(value, n));
      return;
    } else {
      this.stage(parseRecord(value, n), this.header);
    }
    this.digest.update(line);
    this.digest.update(LF);
  }

  private start(header: BodyHeader): void {
    const { site, now } = this.options;
    if (header.site !== site) {
      throw new ApplyRefusal(
        "wrong_site",
        `the body is for site ${quote(header.site)}, this gate is configured for ${quote(site)}`,
      );
    }
    // Read here, next to stage(), with no await between: the staged update is checked
    // against the same version it is built on.
    let stats: AllowlistStats;
    try {
      stats = this.store.stats();
    } catch (err) {
      throw storeError(err);
    }
    const current = stats.site === site ? stats.version : null;
    this.versionBefore = current;
    const inForce = current === null ? "no allowlist" : `v${current}`;
    if (header.kind === "delta") {
      if (header.from === null)
        throw new ApplyRefusal(
          "bad_header",
          "the header of a delta does not say which version it starts from",
        );
      if (header.from !== current) {
        throw new ApplyRefusal(
          "delta_from_mismatch",
          `the body changes v${header.from}, but this gate has ${inForce}: the next sync should fetch a snapshot`,
        );
      }
    }
    if (current !== null && header.to <= current) {
      throw new ApplyRefusal(
        "version_not_newer",
        `the body is v${header.to}, not newer than the v${current} in force (versions only grow; no rollback)`,
      );
    }
    try {
      this.staging = this.store.stage(header.kind, now);
    } catch (err) {
      throw storeError(err);
    }
    this.header = header;
  }

  private stage(record: BodyRecord, header: BodyHeader): void {
    this.records++;
    if (this.records > header.count) {
      throw new ApplyRefusal(
        "count_mismatch",
        `the header announced ${header.count} records, the body has more`,
      );
    }
    const staging = this.staging!;
    try {
      if (record.type === "put") {
        staging.put(record.credential);
        this.puts++;
      } else {
        staging.del(record.id);
        this.dels++;
      }
    } catch (err) {
      throw storeError(err);
    }
  }

  private verify(trailer: BodyTrailer): void {
    const header = this.header!;
    if (this.records !== header.count) {
      throw new ApplyRefusal(
        "count_mismatch",
        `the header announced ${header.count} records, the body has ${this.records}`,
      );
    }
    const digest = this.digest.digest();
    if (digest.toString("hex") !== trailer.sha256) {
      throw new ApplyRefusal(
        "digest_mismatch",
        "the body's SHA-256 does not match its trailer: it was altered or damaged on the way",
      );
    }
    const { trustedKeys } = this.options;
    const publicKey = Object.hasOwn(trustedKeys, trailer.keyId) ? trustedKeys[trailer.keyId] : undefined;
    if (publicKey === undefined) {
      const trusted = Object.keys(trustedKeys).map(quote).join(", ") || "none";
      throw new ApplyRefusal(
        "unknown_key",
        `the body is signed with registry key ${quote(trailer.keyId)}, which this gate does not trust (trusted: ${trusted})`,
      );
    }
    const key = importRegistryKey(publicKey);
    if (key === undefined) {
      throw new ApplyRefusal(
        "unknown_key",
        `the trusted registry key ${quote(trailer.keyId)} in the config is not a base64url Ed25519 public key`,
      );
    }
    if (!verifyBodySignature(digest, trailer.signature, key)) {
      throw new ApplyRefusal(
        "bad_signature",
        `the signature does not verify with registry key ${quote(trailer.keyId)}: the body was not signed by the registry`,
      );
    }
    this.trailerSeen = true;
  }
}

function afterTrailer(): ApplyRefusal {
  return new ApplyRefusal(
    "data_after_trailer",
    "the body goes on after its trailer, which must be the last line",
  );
}

function storeError(err: unknown): ApplyRefusal {
  return new ApplyRefusal("store_error", `could not write the allowlist: ${errorText(err)}`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** A value from the body, quoted and shortened for a message. */
function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

import { createHash, type Hash } from "node:crypto";
import {
  AllowlistChangedError,
  type AllowlistStaging,
  type AllowlistStats,
  type WritableAllowlistStore,
} from "./allowlist-store.js";
import type { ApplyOptions, ApplyResult } from "./apply-body.js";
import { ApplyRefusal } from "./apply-failure.js";
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
import { LineSplitter, LineTooLongError } from "./ndjson-lines.js";

/** Longest line accepted by default, in bytes without its LF: a credential line is about 400. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

const LF = Buffer.from("\n");

/**
 * One body as it streams through `applyAllowlistBody`: `push` each chunk as it arrives,
 * then `commit` at the end of the stream, or `discard` after any failure. Every check
 * throws an `ApplyRefusal`; the digest covers each line before the trailer with its LF.
 */
export class BodyApplication {
  private readonly lines: LineSplitter;
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
  ) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    this.lines = new LineSplitter(max, (line, n) => this.onLine(line, n));
  }

  push(chunk: Buffer): void {
    if (this.trailerSeen && chunk.length > 0) throw afterTrailer();
    try {
      this.lines.push(chunk);
    } catch (err) {
      if (!(err instanceof LineTooLongError)) throw err;
      throw new ApplyRefusal("line_too_long", `${err.message}: the body is not a valid allowlist`);
    }
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

  private onLine(line: Buffer, n: number): void {
    if (this.trailerSeen) throw afterTrailer();
    const value = parseLine(line, n);
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

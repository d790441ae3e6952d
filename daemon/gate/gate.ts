import type { Direction, GateMode, PolicyConfig } from "../../config/schema.js";
import type { Clock } from "../../platform/clock.js";
import type { DatabaseCondition } from "../../platform/database/corruption.js";
import type { Db } from "../../platform/database/database.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { AllowlistStore } from "../allowlist/allowlist-store.js";
import type { Credential } from "../allowlist/credential.js";
import { shownName } from "../allowlist/shown-name.js";
import { decide, type GateState } from "../decide/decide.js";
import { type Decision, deny } from "../decide/reasons.js";
import type { StalenessBudgets } from "../decide/staleness.js";
import type { Journal } from "../journal/journal.js";
import {
  alarmRecord,
  type JournalEntry,
  type JournalRecord,
  notOpenedRecord,
} from "../journal/journal-entry.js";
import type { LockoutTracker } from "../state/lockout-tracker.js";
import type { ModeStore } from "../state/mode-store.js";
import type { PresenceStore } from "../state/presence-store.js";
import type { ReaderGuesses } from "../state/reader-guesses.js";
import { type ReplayGuard, replayExpiry } from "../state/replay-guard.js";
import { type ParsedToken, parseToken } from "../verify/pg1-token.js";
import type { TokenVerifier, VerificationResult } from "../verify/verify-token.js";
import { credentialState } from "./credential-state.js";
import { JournalGap } from "./journal-gap.js";

/** The gate's fixed facts, from config. */
export interface GateSettings {
  readonly gate: string;
  readonly timezone: string;
  readonly policy: PolicyConfig;
  /** Token window in steps, as the verifier uses it. */
  readonly window: number;
  /** Per-role allowlist age budgets (`sync.staleness`); absent: never stale. */
  readonly staleness?: StalenessBudgets | undefined;
  /** Readers whose passages a rotation sensor confirms (daemon/passage): their grants move no presence. */
  readonly passageSensed?: ((readerId: string) => boolean) | undefined;
}

export interface GateParts {
  readonly db: Db;
  readonly allowlist: AllowlistStore;
  readonly verifier: TokenVerifier;
  readonly journal: Journal;
  readonly replay: ReplayGuard;
  readonly presence: PresenceStore;
  readonly lockout: LockoutTracker;
  readonly guesses: ReaderGuesses;
  readonly mode: ModeStore;
  /** Whether the relays a reader's grants open are reachable (daemon/actuate); absent: always. */
  readonly relayAvailable?: ((readerId: string) => boolean) | undefined;
  /** Whether this gate hears its anti-passback zone (daemon/site/zone-hearing.ts), asked only when it is fail-closed; absent: always. */
  readonly siteReachable?: (() => boolean) | undefined;
  /** Whether the database file is known to be damaged, and where to report SQLITE_CORRUPT; absent: never checked. */
  readonly database?: DatabaseCondition | undefined;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** What became of one scan, after it was journaled. */
export interface ScanOutcome {
  readonly decision: Decision;
  /** The journal entry; absent only if journaling itself failed (then the decision is a denial). */
  readonly entry: JournalEntry | undefined;
  readonly credential: string | null;
  readonly person: string | null;
  /** The credential's display name for events and notices (daemon/allowlist/shown-name.ts), when it has one. */
  readonly name?: string | undefined;
  /** Microseconds from receiving the text to the committed journal entry. */
  readonly micros: number;
}

/** A scan a reader bridge sent: who signed it, its number, when it was scanned, how old it may be. */
export interface BridgedScan {
  readonly member: string;
  readonly seq: number;
  readonly scannedAt: number;
  readonly maxAgeMs: number;
}

/** Failures that count toward a credential's lockout and a reader's guesses: attempts at forging codes. */
const LOCKOUT_FAILURES = new Set(["bad_signature", "scheme_mismatch"]);

/**
 * The scan pipeline: parse → look up → verify → gather state → decide → journal. Every
 * decision is committed to the journal, together with the state it changes, before the
 * caller may report or actuate it: a grant's entry is itself the durable record of its
 * replay pair and passage, a lockout count shares the entry's transaction.
 * Any exception denies: a decision that cannot be journaled is never a grant; such
 * decisions are counted and journaled as one `journal_gap` alarm once a write succeeds.
 */
export class Gate {
  private readonly log: Logger;
  private readonly counts = new Map<string, number>();
  private readonly gap = new JournalGap();
  /** Runs its argument in one transaction; made once, not per scan (better-sqlite3 builds a wrapper each call). */
  private readonly inTransaction: (write: () => JournalEntry) => JournalEntry;

  constructor(
    private settings: GateSettings,
    private parts: GateParts,
  ) {
    this.log = parts.logger;
    this.inTransaction = parts.db.transaction((write: () => JournalEntry) => write());
  }

  /**
   * Swaps the policy and the other settings a config reload changes (with the verifier
   * and lockout tracker built for them). Decisions are synchronous, so a scan is decided
   * wholly by the old settings or wholly by the new ones; the next scan uses these.
   */
  updateSettings(
    settings: GateSettings,
    parts: Partial<Pick<GateParts, "verifier" | "lockout" | "guesses">> = {},
  ): void {
    this.settings = settings;
    this.parts = { ...this.parts, ...parts };
  }

  /**
   * Decides on one scan from a reader facing `direction`. Never throws. `bridged`: the scan
   * came from a reader bridge (its signature already checked); one that waited longer than
   * `maxAgeMs` since the scanner delivered it is denied `stale_scan` unread, so nothing
   * opens late and the token is not spent.
   */
  handleScan(
    text: string,
    reader: { readonly id: string; readonly direction: Direction },
    bridged?: BridgedScan,
  ): ScanOutcome {
    const started = process.hrtime.bigint();
    const now = this.parts.clock.now();
    const stale = bridged !== undefined && now - bridged.scannedAt > bridged.maxAgeMs;
    let token: ParsedToken | null = null;
    let credential: Credential | undefined;
    let verification: VerificationResult = { ok: false, reason: "malformed" };
    let decision: Decision;
    // A damaged file is not read for credentials: decide() denies database_corrupt (free passage still opens).
    const corrupt = this.parts.database?.corrupt() === true;
    try {
      // A reader that used up its guesses refuses every scan without looking at it (free
      // passage still opens: decide() puts the mode first).
      const throttledUntil = corrupt ? undefined : this.parts.guesses.throttledUntil(reader.id, now);
      token = throttledUntil === undefined && !stale && !corrupt ? parseToken(text) : null;
      if (token !== null) {
        credential = this.parts.allowlist.get(token.credentialId);
        verification = this.parts.verifier.verify(token, credential, now);
      }
      decision = decide({
        verification,
        credential,
        gate: {
          direction: reader.direction,
          timezone: this.settings.timezone,
          policy: this.settings.policy,
          staleness: this.settings.staleness,
        },
        state: {
          ...this.stateFor(token, credential, verification, reader.id, now),
          readerThrottledUntil: throttledUntil,
          staleScan: stale,
          relayAvailable: this.parts.relayAvailable?.(reader.id),
          databaseCorrupt: corrupt,
        },
        now,
      });
    } catch (err) {
      decision = this.failed(err, reader.id, "decision");
    }

    const credentialId = token !== null && credential !== undefined ? token.credentialId : null;
    const person = credential?.person ?? null;
    let entry: JournalEntry | undefined;
    const missing = this.gap.pending();
    try {
      entry = this.record(decision, token, credential, verification, reader, now, bridged);
    } catch (err) {
      this.gap.failed(now);
      decision = this.failed(err, reader.id, "journal write");
    }
    if (entry !== undefined && missing > 0) {
      this.gap.reported();
      this.log.warn(
        { unjournaled: missing },
        "journal writes work again; the decisions missing are journaled as one journal_gap alarm",
      );
    }
    this.count(`${decision.result}:${decision.reason}`);
    const micros = Number(process.hrtime.bigint() - started) / 1000;
    const name = shownName(credential?.displayName);
    return { decision, entry, credential: credentialId, person, name, micros };
  }

  /**
   * The denial for an exception on the decision path. SQLite saying the file is damaged is
   * `database_corrupt`, logged once by the storage that owns the file (not once per scan);
   * anything else is `internal_error`, logged here.
   */
  private failed(err: unknown, reader: string, what: string): Decision {
    if (this.parts.database?.noteError(err, what) === true) return deny("database_corrupt");
    this.log.error({ err: describeError(err), reader }, `${what} failed; denying`);
    return deny("internal_error");
  }

  /**
   * Journals that a granted decision's relay `relay` never opened (its pulse failed with
   * `error`: offline, late, refused, unconfirmed…), as a `passage` entry with the reason
   * `not_opened` linked to the decision by its id, so the journal and the registry do not
   * count the grant as a passage. Never throws: a failure to journal it is logged.
   */
  recordNotOpened(
    decision: JournalEntry,
    pulse: { readonly relay: string; readonly error?: string | undefined },
  ): JournalEntry | undefined {
    try {
      return this.parts.journal.append(notOpenedRecord(decision, pulse, this.parts.clock.now()));
    } catch (err) {
      this.log.error(
        { err: describeError(err), relay: pulse.relay, decision: decision.id },
        "journal write of a relay that did not open failed",
      );
      return undefined;
    }
  }

  /** Decisions so far by `result:reason`, since start. */
  decisionCounts(): ReadonlyMap<string, number> {
    return this.counts;
  }

  currentMode(): GateMode {
    return this.parts.mode.get().mode;
  }

  private stateFor(
    token: ParsedToken | null,
    credential: Credential | undefined,
    verification: VerificationResult,
    reader: string,
    now: number,
  ): GateState {
    if (token === null || credential === undefined)
      return { mode: this.parts.mode.get().mode, replayed: false };
    // A step that may have been granted just before a power cut took its row counts as used.
    const replayed =
      verification.ok &&
      (this.parts.replay.possiblyLost(verification.step, verification.period, this.settings.window) ||
        this.parts.replay.seen(credential.id, verification.step));
    const state = credentialState(
      this.parts,
      { zone: this.settings.policy.zone, staleness: this.settings.staleness },
      credential,
      reader,
      now,
      replayed,
    );
    const { siteReachable } = this.parts;
    if (this.settings.policy.antiPassback.partition !== "closed" || siteReachable === undefined) return state;
    return { ...state, siteReachable: siteReachable() };
  }

  /**
   * Journals the decision with the state it changes, and returns the committed entry. A
   * grant's replay pair and passage are the entry itself (credential and step; person,
   * direction and `data.zone`): the replay guard keeps the pair in memory and rebuilds it
   * from the journal at start, the presence store writes the passage within a second and
   * after a crash from the journal. So the common decision is one INSERT committing by
   * itself (the journal's page and its head); a lockout count or a journal gap joins it
   * in one transaction.
   */
  private record(
    decision: Decision,
    token: ParsedToken | null,
    credential: Credential | undefined,
    verification: VerificationResult,
    reader: { readonly id: string; readonly direction: Direction },
    now: number,
    bridged: BridgedScan | undefined,
  ): JournalEntry {
    const { journal, replay, presence } = this.parts;
    const granted = decision.result === "granted" && credential !== undefined && verification.ok;
    // Without a passage sensor a grant counts as a passage; with one, the sensor decides.
    const movesPresence = granted && this.settings.passageSensed?.(reader.id) !== true;
    const forged = credential !== undefined && !verification.ok && LOCKOUT_FAILURES.has(verification.reason);
    const data: Record<string, unknown> = {};
    if (decision.flags.length > 0) data.flags = [...decision.flags];
    if (decision.result === "granted" && decision.rule !== undefined) data.rule = decision.rule;
    if (token !== null) data.scheme = token.scheme;
    // The zone this grant moved the person in: the entry is the passage's durable record.
    if (movesPresence) data.zone = this.settings.policy.zone;
    if (bridged !== undefined) {
      data.bridge = bridged.member;
      data.seq = bridged.seq;
      data.scannedAt = bridged.scannedAt;
    }
    const entryRecord: JournalRecord = {
      kind: "decision",
      at: now,
      gate: this.settings.gate,
      reader: reader.id,
      direction: reader.direction,
      credential: credential !== undefined ? credential.id : null,
      person: credential?.person ?? null,
      step: token?.step ?? null,
      result: decision.result,
      reason: decision.reason,
      data,
    };
    const entry =
      !forged && this.gap.pending() === 0
        ? journal.append(entryRecord)
        : this.inTransaction(() => {
            const gap = this.gap.record(this.settings.gate);
            if (gap !== undefined) journal.append(gap);
            if (forged && credential !== undefined) this.recordForgery(credential, reader, now);
            return journal.append(entryRecord);
          });
    // Committed: from now on the pair is used and the person has passed, in memory and
    // (through the entry) on disk.
    if (granted && credential !== undefined && verification.ok) {
      replay.remember(
        credential.id,
        verification.step,
        replayExpiry(verification.step, verification.period, this.settings.window),
      );
      if (
        movesPresence &&
        presence.recordJournaled(
          credential.person,
          this.settings.policy.zone,
          reader.direction,
          now,
          entry.seq,
        )
      )
        this.writePassages();
    }
    return entry;
  }

  /**
   * Writes the passages the presence store holds, when it holds its limit (the storage's
   * timer writes them every second otherwise). A failure is logged and the grant stands: it
   * is committed, and the passages stay held, in the journal too.
   */
  private writePassages(): void {
    try {
      this.parts.presence.flush();
    } catch (err) {
      if (this.parts.database?.noteError(err, "presence write") !== true)
        this.log.error({ err: describeError(err) }, "presence write failed; the passages stay held");
    }
  }

  /** Counts a forged code toward the credential's lockout and the reader's guesses, inside the decision's transaction. */
  private recordForgery(
    credential: Credential,
    reader: { readonly id: string; readonly direction: Direction },
    now: number,
  ): void {
    const until = this.parts.lockout.recordFailure(credential.id, reader.id, now);
    if (until !== undefined) {
      this.log.warn(
        { credential: credential.id, reader: reader.id, until: new Date(until).toISOString() },
        "credential locked out at this reader",
      );
    }
    if (this.parts.guesses.recordGuess(reader.id, now)) {
      // The reader's budget of guesses is used up: someone is trying codes here.
      this.log.warn({ reader: reader.id }, "reader throttled: too many bad codes; see who is at it");
      this.parts.journal.append(
        alarmRecord({ at: now, gate: this.settings.gate, reason: "reader_throttled", reader }),
      );
    }
  }

  private count(key: string): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
}

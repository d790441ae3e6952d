import type { KeyObject } from "node:crypto";
import type { Clock } from "../../platform/clock.js";
import { LogThrottle } from "../../platform/log/log-throttle.js";
import type { Logger } from "../../platform/log/logger.js";
import { NonceWindow } from "./nonce-window.js";
import type { SignatureVerifier } from "./off-thread-verifier.js";
import type { Roster } from "./roster.js";
import type { MemberKind, RosterMember } from "./roster-member.js";
import {
  admitVerified,
  checkEnvelope,
  type MessageRefusal,
  signMessage,
  verifyEnvelope,
} from "./signed-message.js";

/** Why a message from the site was not acted on, beyond the envelope's own checks. */
export type TrustRefusal =
  | MessageRefusal
  /** No signature, and this gate does not accept unsigned messages (the default). */
  | "unsigned"
  /** A valid member asked for something outside its scope (another gate's records, a role it lacks). */
  | "not_authorized"
  /** The body is valid but outside the bounds this gate keeps whoever signs. */
  | "out_of_bounds"
  /** The body does not pass the topic's schema. */
  | "invalid_body"
  /** Too many messages already wait for their signature to be verified (off the scan thread). */
  | "overloaded"
  /** The thread verifying its signature died before it answered; the message was not acted on. */
  | "verifier_failed"
  /** A valid member sent more than its share (a reader bridge flooding scans). */
  | "rate_limited";

/** This gate's own member identity, to sign what it sends. */
export interface OwnSigner {
  readonly id: string;
  readonly privateKey: KeyObject;
}

export type TrustVerdict =
  | { readonly ok: true; readonly signer: RosterMember | undefined; readonly body: Record<string, unknown> }
  | { readonly ok: false };

/**
 * The gate's side of site-roster.md for everything it sends and receives over MQTT: signs
 * with this gate's key, checks others' messages against the roster in force, and counts
 * every refusal by topic kind and reason, logging each (kind, signer, reason) at most once
 * per 10 s. A gate without roster entries acts on no signed message; unsigned ones are
 * taken only with `acceptUnsigned` (a migration switch), and then carry no signer.
 */
export class SiteTrust {
  private readonly nonces: NonceWindow;
  private readonly counts = new Map<string, number>();
  private readonly logs: LogThrottle;

  constructor(
    private readonly options: {
      /** The roster in force now (a getter: the roster changes while the gate runs). */
      readonly roster: () => Roster;
      readonly signer: OwnSigner | undefined;
      /** ± ms of this gate's clock in which a message is fresh (requests, scans: `trust.freshness`). */
      readonly freshnessMs: number;
      /**
       * The widest bound any topic asks for (site records: the clock tolerance, since a gate
       * whose clock is off within it must still hear the site); pairs are kept that long.
       */
      readonly widestFreshnessMs?: number;
      readonly acceptUnsigned: boolean;
      readonly clock: Clock;
      readonly logger: Logger;
    },
  ) {
    // Pairs are kept for the whole bound on both sides of a message's `at`.
    this.nonces = new NonceWindow(2 * Math.max(options.freshnessMs, options.widestFreshnessMs ?? 0));
    this.logs = new LogThrottle(() => options.clock.now());
  }

  /** This gate's member id, when it has a key. */
  get ownId(): string | undefined {
    return this.options.signer?.id;
  }

  /** Whether this gate has a key to sign with. */
  get canSign(): boolean {
    return this.options.signer !== undefined;
  }

  get acceptsUnsigned(): boolean {
    return this.options.acceptUnsigned;
  }

  /** The signed message (JSON) of `body` for `topic`, or undefined without a key. */
  sign(topic: string, body: Record<string, unknown>): string | undefined {
    const signer = this.options.signer;
    if (signer === undefined) return undefined;
    return JSON.stringify(
      signMessage({
        topic,
        signer: signer.id,
        privateKey: signer.privateKey,
        body,
        at: this.options.clock.now(),
      }),
    );
  }

  /**
   * Checks a parsed payload received on `topic` from a member of one of `kinds`. A payload
   * with no `sig` is an unsigned message: passed on as it is (no signer) only when
   * unsigned messages are accepted. Refusals are counted under `kind` and logged.
   * `freshnessMs`: the topic's own bound, if not `trust.freshness`. `unsigned: "never"`
   * for topics no unsigned message ever spoke on (bridged scans), whatever the switch says.
   */
  check(
    topic: string,
    payload: unknown,
    kinds: readonly MemberKind[],
    kind: string,
    freshnessMs = this.options.freshnessMs,
    unsigned: "by-config" | "never" = "by-config",
  ): TrustVerdict {
    const plain = this.unsigned(payload, kind, unsigned);
    if (plain !== undefined) return plain;
    const verdict = verifyEnvelope(topic, payload, {
      roster: this.options.roster(),
      kinds,
      now: this.options.clock.now(),
      freshnessMs,
      nonces: this.nonces,
    });
    if (!verdict.ok) {
      this.refuse(kind, verdict.reason, verdict.signer);
      return { ok: false };
    }
    return { ok: true, signer: verdict.signer, body: verdict.body };
  }

  /**
   * `check` with the signature verified by `verifier` (another thread), for site records:
   * every check before the signature is made here and now, in `check`'s order; the nonce is
   * remembered only once the signature held, when the verifier answered. A message the
   * verifier could not take (`overloaded`) or lost with its thread (`verifier_failed`) is
   * refused and counted; one still held when the verifier stopped is dropped uncounted.
   */
  async checkOffThread(
    topic: string,
    payload: unknown,
    kinds: readonly MemberKind[],
    kind: string,
    freshnessMs: number,
    verifier: SignatureVerifier,
  ): Promise<TrustVerdict> {
    const plain = this.unsigned(payload, kind, "by-config");
    if (plain !== undefined) return plain;
    const pending = checkEnvelope(topic, payload, {
      roster: this.options.roster(),
      kinds,
      now: this.options.clock.now(),
      freshnessMs,
    });
    if (!pending.ok) {
      this.refuse(kind, pending.reason, pending.signer);
      return { ok: false };
    }
    const signer = pending.message.signer;
    const answer = await verifier.verify(pending.signed, pending.signature, pending.known.member.publicKey);
    if (answer !== "ok") {
      if (answer !== "stopped")
        this.refuse(
          kind,
          answer === "bad" ? "bad_signature" : answer === "overloaded" ? "overloaded" : "verifier_failed",
          signer,
        );
      return { ok: false };
    }
    const verdict = admitVerified(pending, { now: this.options.clock.now(), nonces: this.nonces });
    if (!verdict.ok) {
      this.refuse(kind, verdict.reason, verdict.signer);
      return { ok: false };
    }
    return { ok: true, signer: verdict.signer, body: verdict.body };
  }

  /** The verdict on an unsigned payload (no `sig`), or undefined for a signed one. */
  private unsigned(
    payload: unknown,
    kind: string,
    unsigned: "by-config" | "never",
  ): TrustVerdict | undefined {
    if (typeof payload !== "object" || payload === null || Array.isArray(payload) || "sig" in payload)
      return undefined;
    if (this.options.acceptUnsigned && unsigned === "by-config")
      return { ok: true, signer: undefined, body: payload as Record<string, unknown> };
    this.refuse(kind, "unsigned");
    return { ok: false };
  }

  /** Counts and logs a refusal found after the envelope (scope, bounds, body schema). */
  refuse(kind: string, reason: TrustRefusal, signer?: string): void {
    const key = `${kind}:${reason}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    // Only a member's id goes into the throttle's key: ids anyone can make up would grow it without end.
    const member =
      signer !== undefined && this.options.roster().get(signer) !== undefined ? signer : undefined;
    const held = this.logs.admit(`${kind}:${member ?? "-"}:${reason}`);
    if (held !== undefined)
      this.options.logger.warn(
        { kind, reason, signer: member ?? (signer === undefined ? undefined : "(not a member)"), held },
        "site message refused",
      );
  }

  /** Refused messages by `kind:reason`, since start. */
  refusals(): ReadonlyMap<string, number> {
    return this.counts;
  }
}

import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import { signMessage } from "../../daemon/trust/signed-message.js";
import type { CampusEvent } from "./campus-events.js";
import type { CampusGate } from "./campus-gate.js";
import type { FaultWindow } from "./fault-runner.js";
import { explainingFault } from "./faults.js";
import { type GateResponse, type OperatorClient, requestTopic } from "./operator-client.js";

/** The guard desk's member id in every gate's roster. */
export const DESK_ID = "operator:desk";
/** The relay the desk opens for a visitor: the entry lane's turnstile. */
export const DESK_RELAY = "in-turnstile";
/** How long the desk waits for a gate's answer (a pulse is answered once the board confirmed it). */
export const ANSWER_TIMEOUT_MS = 4_000;

/** An operator of the site: its roster record and the key it signs with (kept in memory only). */
export interface OperatorKey {
  readonly member: RosterMember;
  readonly privateKey: KeyObject;
}

/**
 * The campus's guard desk as `passgate keys init --operator desk` and the site's admin would
 * make it: a fresh Ed25519 key and an active operator with the guard role only (open once;
 * no mode changes), for every gate.
 */
export function makeDeskOperator(): OperatorKey {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    member: {
      id: DESK_ID,
      kind: "operator",
      roles: ["guard"],
      publicKey: publicKeyText(publicKey),
      status: "active",
      displayName: "Guard desk",
    },
    privateKey,
  };
}

/** What the desk's requests came to (docs/simulator.md, "The guard desk and the intruder"). */
export interface DeskTally {
  signedRequests: number;
  /** Signed pulses answered `ok` with `result: "opened"`. */
  answeredOk: number;
  /** Signed mode requests answered `error` (not authorised) with the gate's mode unchanged. */
  refusedAsExpected: number;
  /** Requests not answered as expected that an injected fault explains (broker away, gate clock off). */
  explainedByFault: number;
  /** Requests not answered as expected that no fault explains; a guard whose mode request took is one too. */
  failed: number;
}

export interface DeskDeps {
  readonly key: OperatorKey;
  readonly client: OperatorClient;
  readonly gates: readonly CampusGate[];
  /** The campus clock, epoch ms: what the desk signs with and faults are dated by. */
  readonly now: () => number;
  readonly windows: readonly FaultWindow[];
  readonly emit: (event: CampusEvent) => void;
}

/**
 * The guard desk: once a cycle it lets a visitor in at one gate (the gates in turn) with a
 * signed `pulse` request, and checks the answer; then, being only a guard, it asks the same
 * gate for free passage and checks that the gate refuses it and keeps its mode.
 */
export class GuardDesk {
  readonly tally: DeskTally = {
    signedRequests: 0,
    answeredOk: 0,
    refusedAsExpected: 0,
    explainedByFault: 0,
    failed: 0,
  };
  /** Real-time spans (Date.now()) in which a board may open for the desk, per `<gate>/in`. */
  private readonly pulses: { lane: string; from: number; to: number }[] = [];

  constructor(private readonly deps: DeskDeps) {}

  /** The desk's round of cycle `cycle` (0-based). */
  async visit(cycle: number): Promise<void> {
    const { gates } = this.deps;
    const gate = gates[cycle % gates.length];
    if (gate === undefined) return;
    await this.pulse(gate, `desk-${cycle}-pulse`);
    await this.askForMode(gate, `desk-${cycle}-mode`);
  }

  /**
   * Each gate's `trustRefusals` of requests (`request-<cmd>:<reason>`), summed over the
   * gates, from the `status` request (open to anyone: it changes nothing). A gate that does
   * not answer within the timeout adds nothing.
   */
  async gateRefusals(): Promise<Record<string, number>> {
    const { gates, client } = this.deps;
    const answers = await Promise.all(
      gates.map((g) => {
        const transaction = `desk-status-${g.id}`;
        return client.ask(requestTopic(g.id, "status"), JSON.stringify({ transaction }), transaction, 2_000);
      }),
    );
    const sum: Record<string, number> = {};
    for (const a of answers) {
      const refusals = a?.data.trustRefusals;
      if (typeof refusals !== "object" || refusals === null) continue;
      for (const [key, n] of Object.entries(refusals)) {
        if (key.startsWith("request-") && typeof n === "number") sum[key] = (sum[key] ?? 0) + n;
      }
    }
    return sum;
  }

  /**
   * `opens` (a lane's board, real time) less those the desk's pulses explain: at most one
   * open per pulse, within the pulse's span. What is left must answer a grant.
   */
  withoutDeskOpens<T extends { readonly at: number }>(
    gate: string,
    reader: string,
    opens: readonly T[],
  ): T[] {
    const left = [...opens];
    for (const p of this.pulses) {
      if (p.lane !== `${gate}/${reader}`) continue;
      const i = left.findIndex((o) => o.at >= p.from && o.at <= p.to);
      if (i >= 0) left.splice(i, 1);
    }
    return left;
  }

  private async pulse(gate: CampusGate, transaction: string): Promise<void> {
    const at = this.deps.now();
    const sentAt = Date.now();
    this.pulses.push({ lane: `${gate.id}/in`, from: sentAt, to: sentAt + ANSWER_TIMEOUT_MS });
    const answer = await this.ask(gate, "pulse", { relay: DESK_RELAY, transaction });
    if (answer?.status === "ok" && answer.data.result === "opened") {
      this.tally.answeredOk++;
      this.note(gate, "pulse", "opened for a visitor", true);
      return;
    }
    this.miss(gate, "pulse", outcomeReason(answer), at);
  }

  private async askForMode(gate: CampusGate, transaction: string): Promise<void> {
    const at = this.deps.now();
    const before = gate.mode();
    const answer = await this.ask(gate, "mode", { mode: "free", transaction });
    const kept = gate.mode() === before;
    if (answer?.status === "error" && /may not mode/.test(answer.error ?? "") && kept) {
      this.tally.refusedAsExpected++;
      this.note(gate, "mode", "free passage refused: a guard may not change the mode", true);
      return;
    }
    if (answer?.status === "ok" || !kept) {
      // A guard changed the mode: a product bug, whatever the faults.
      this.tally.failed++;
      this.note(gate, "mode", "free passage TAKEN from a guard", false);
      return;
    }
    this.miss(gate, "mode", outcomeReason(answer), at);
  }

  private ask(
    gate: CampusGate,
    command: "mode" | "pulse",
    body: Record<string, unknown> & { transaction: string },
  ): Promise<GateResponse | undefined> {
    const { key, client, now } = this.deps;
    const topic = requestTopic(gate.id, command);
    const message = signMessage({
      topic,
      signer: key.member.id,
      privateKey: key.privateKey,
      body,
      at: now(),
    });
    this.tally.signedRequests++;
    return client.ask(topic, JSON.stringify(message), body.transaction, ANSWER_TIMEOUT_MS);
  }

  /** Not the expected answer: explained when a fault was on at the gate when it was asked or given up on. */
  private miss(gate: CampusGate, command: string, reason: string, askedAt: number): void {
    const { windows, now } = this.deps;
    const fault =
      explainingFault(reason, gate.id, askedAt, windows) ?? explainingFault(reason, gate.id, now(), windows);
    if (fault === undefined) this.tally.failed++;
    else this.tally.explainedByFault++;
    const why = fault === undefined ? "" : ` (${fault})`;
    this.note(gate, command, `${reason}${why}`, fault !== undefined);
  }

  private note(gate: CampusGate, request: string, outcome: string, ok: boolean): void {
    this.deps.emit({
      kind: "operator",
      at: this.deps.now(),
      gate: gate.id,
      actor: "desk",
      request,
      outcome,
      ok,
    });
  }
}

/**
 * A failed answer as a reason the fault table knows: `no_response`, `relay_<code>` for a
 * pulse the relay could not make (`relay in-turnstile: offline` → `relay_offline`), else `error`.
 */
export function outcomeReason(answer: GateResponse | undefined): string {
  if (answer === undefined) return "no_response";
  const relay = /^relay [^:]+: ([a-z_]+)$/.exec(answer.error ?? "");
  return relay === null ? (answer.status === "ok" ? "unexpected_answer" : "error") : `relay_${relay[1]}`;
}

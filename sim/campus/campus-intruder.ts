import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { signMessage } from "../../daemon/trust/signed-message.js";
import { DESK_ID, DESK_RELAY } from "./campus-desk.js";
import type { CampusEvent } from "./campus-events.js";
import type { CampusGate } from "./campus-gate.js";
import { type OperatorClient, requestTopic } from "./operator-client.js";

/** How long the intruder waits after its requests before it looks at the gate's mode. */
const WATCH_MS = 800;
const PREFIX = "intruder-";

export interface IntruderDeps {
  /** An anonymous client on the campus broker (no credentials: the broker lets anyone publish). */
  readonly client: Pick<OperatorClient, "send" | "onResponse">;
  readonly gates: readonly Pick<CampusGate, "id" | "mode">[];
  readonly now: () => number;
  readonly emit: (event: CampusEvent) => void;
}

/**
 * Someone on the broker who is not in the roster. Once a cycle, at the gate after the one
 * the desk served, it asks for an open (unsigned), for free passage (unsigned), and for an
 * open signed as the desk with a key of its own. A correct gate answers none of them,
 * keeps its mode and opens nothing; it only counts them (`trustRefusals`).
 */
export class CampusIntruder {
  requests = 0;
  /** Requests the gates acted on: answered, or (the mode request) a mode that changed. */
  actedOn = 0;
  private readonly key: KeyObject = generateKeyPairSync("ed25519").privateKey;

  constructor(private readonly deps: IntruderDeps) {
    deps.client.onResponse((gate, response) => {
      const t = response.transaction;
      if (typeof t !== "string" || !t.startsWith(PREFIX)) return;
      this.actedOn++;
      this.note(gate, "answer", `ANSWERED ${t}: ${response.status}`, false);
    });
  }

  async visit(cycle: number): Promise<void> {
    const { gates, client, now } = this.deps;
    const gate = gates[(cycle + 1) % gates.length];
    if (gate === undefined) return;
    const before = gate.mode();
    const tx = (what: string) => `${PREFIX}${cycle}-${what}`;
    const pulse = requestTopic(gate.id, "pulse");
    const mode = requestTopic(gate.id, "mode");
    const forged = signMessage({
      topic: pulse,
      signer: DESK_ID,
      privateKey: this.key,
      body: { relay: DESK_RELAY, transaction: tx("forged") },
      at: now(),
    });
    const sent = [
      client.send(pulse, JSON.stringify({ relay: DESK_RELAY, transaction: tx("pulse") })),
      client.send(mode, JSON.stringify({ mode: "free", transaction: tx("mode") })),
      client.send(pulse, JSON.stringify(forged)),
    ].filter((s) => s).length;
    this.requests += sent;
    if (sent === 0) return;
    await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
    const after = gate.mode();
    // Only a gate seen running before and after can be judged: a gate process that went
    // offline (restarted, or cut off by an overloaded machine) has no mode to compare.
    if (before === undefined || after === undefined) {
      this.note(
        gate.id,
        "requests",
        `${sent} unsigned or forged requests: not answered; mode not judged, gate offline`,
        true,
      );
      return;
    }
    if (after === "free" && before !== "free") {
      this.actedOn++;
      this.note(gate.id, "mode", `mode CHANGED to ${after} by an unsigned request`, false);
      return;
    }
    this.note(gate.id, "requests", `${sent} unsigned or forged requests: not answered, mode ${after}`, true);
  }

  private note(gate: string, request: string, outcome: string, ok: boolean): void {
    this.deps.emit({ kind: "operator", at: this.deps.now(), gate, actor: "intruder", request, outcome, ok });
  }
}

import type { GateView } from "../api.js";
import type { GateState } from "./site-payloads.js";

/** What the console knows of one gate: its status, its last retained state, its conditions in force. */
export class GateRecord {
  /** Lanes (readers with decisions) kept per gate. */
  static readonly MAX_LANES = 32;
  /** undefined until the gate's status is first seen. */
  online: boolean | undefined;
  state: GateState | undefined;
  /** The alarm conditions that held at the last status or state (`relay_offline/<relay>`, …). */
  conditions = new Set<string>();
  lanes = 0;
  /** Relays seen reachable at least once since the console started. */
  readonly relaysSeenUp = new Set<string>();
  /** Relay → when the console first saw it unreachable this time (console clock, ms). */
  readonly relaysDownSince = new Map<string, number>();

  constructor(readonly gate: string) {}

  view(): GateView {
    const s = this.state;
    return {
      gate: this.gate,
      online: this.online === true,
      relays: s?.relays ?? {},
      readers: s?.readers ?? [],
      bridges: s?.bridges ?? [],
      ...(s !== undefined && {
        mode: s.mode,
        modeSince: s.modeSince,
        stateAt: s.at,
        ...(s.allowlist !== undefined && { allowlist: s.allowlist }),
      }),
    };
  }
}

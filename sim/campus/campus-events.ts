/**
 * What a running simulated campus reports, in the order it happens: the one stream that
 * the live demo view, the headless `passgate sim campus` summary and the tests read.
 * Times are epoch milliseconds of the campus clock. No event carries scan text.
 */
export type CampusEvent =
  /** A phone was shown at a reader; `expect` is what a correct gate must answer. */
  | {
      readonly kind: "scan";
      readonly at: number;
      readonly gate: string;
      readonly reader: string;
      readonly person: string;
      /** The crowd's scenario for this scan (valid, expired, replay_other_gate, revoked, …). */
      readonly scenario: string;
      readonly expect: "grant" | "deny";
    }
  /** The gate's decision on a scan, with the decision latency measured by the gate. */
  | {
      readonly kind: "decision";
      readonly at: number;
      readonly gate: string;
      readonly reader: string;
      readonly person: string;
      readonly scenario: string;
      readonly expect: "grant" | "deny";
      readonly result: "grant" | "deny";
      readonly reason: string;
      readonly micros: number;
    }
  /** A relay board's output switched (seen on the emulated board). */
  | {
      readonly kind: "relay";
      readonly at: number;
      readonly gate: string;
      readonly relay: string;
      readonly on: boolean;
    }
  /** A turnstile reported a passage, or the person turned back. */
  | {
      readonly kind: "passage";
      readonly at: number;
      readonly gate: string;
      readonly reader: string;
      readonly passed: boolean;
    }
  /** A gate's allowlist changed version, or a sync failed. */
  | {
      readonly kind: "sync";
      readonly at: number;
      readonly gate: string;
      readonly version: number;
      readonly ok: boolean;
      readonly error?: string;
    }
  /** The registry changed the population while the campus runs. */
  | {
      readonly kind: "registry";
      readonly at: number;
      readonly change: string;
      readonly person: string;
      readonly version: number;
    }
  /**
   * A request to a gate on the broker and what came of it: the guard desk's signed ones,
   * or the intruder's unsigned and forged ones; `ok` when the gate did what a correct gate does.
   */
  | {
      readonly kind: "operator";
      readonly at: number;
      readonly gate: string;
      readonly actor: "desk" | "intruder";
      readonly request: string;
      readonly outcome: string;
      readonly ok: boolean;
    }
  /** An injected fault started or ended. */
  | {
      readonly kind: "fault";
      readonly at: number;
      readonly fault: string;
      readonly phase: "start" | "end";
      readonly detail?: string;
    };

export type CampusEventListener = (event: CampusEvent) => void;

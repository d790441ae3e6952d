import type { CampusOptions, CampusSummary, RunningCampus } from "../campus.js";
import type { CampusEvent, CampusEventListener } from "../campus-events.js";
import { SCRIPT_START, scriptedEvents } from "./scripted-events.js";

/**
 * A stand-in for a running campus that replays `scriptedEvents()` one every `everyMs`
 * and records what it was asked to do, for tests of the demo's run loop and view.
 */
export class ScriptedCampus implements RunningCampus {
  readonly brokerUrl = "mqtt://127.0.0.1:41883";
  readonly registryUrl = "http://127.0.0.1:40080";
  readonly gates = [
    { id: "gate-1", configPath: "/demo/gate-1.yaml", bridgedReaders: ["in"] },
    { id: "gate-2", configPath: "/demo/gate-2.yaml" },
  ];
  readonly revoked: string[] = [];
  readonly visitors: string[] = [];
  stops = 0;
  readonly done: Promise<CampusSummary>;
  private readonly listeners = new Set<CampusEventListener>();
  private timer: NodeJS.Timeout | undefined;
  private finish: ((summary: CampusSummary) => void) | undefined;

  constructor(
    readonly options: CampusOptions,
    private readonly everyMs = 5,
  ) {
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  static starter(everyMs = 5): {
    start: (o: CampusOptions) => Promise<ScriptedCampus>;
    started: ScriptedCampus[];
  } {
    const started: ScriptedCampus[] = [];
    return {
      started,
      start: async (o) => {
        const campus = new ScriptedCampus(o, everyMs);
        campus.play();
        started.push(campus);
        return campus;
      },
    };
  }

  onEvent(listener: CampusEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<CampusSummary> {
    this.stops++;
    clearInterval(this.timer);
    this.finish?.(this.summary());
    return this.done;
  }

  async revoke(person: string): Promise<number> {
    this.revoked.push(person);
    return 9;
  }

  async addVisitor(name = "v-9001"): Promise<string> {
    this.visitors.push(name);
    return name;
  }

  private play(): void {
    const events: CampusEvent[] = scriptedEvents();
    let next = 0;
    this.timer = setInterval(() => {
      const event = events[next++];
      if (event !== undefined) for (const listener of this.listeners) listener(event);
      else if (this.options.durationMs !== undefined) void this.stop();
    }, this.everyMs);
  }

  private summary(): CampusSummary {
    return {
      scans: 4,
      granted: 2,
      denied: { replayed: 1, expired: 1 },
      falseAccepts: 0,
      falseRejects: 0,
      latencyMicros: { p50: 350, p99: 1204, max: 1204 },
      relayOpens: 2,
      passages: 1,
      lateOpens: 0,
      falseAlarms: 0,
      eventsUploaded: 4,
      journalsVerified: true,
      bridges: { lanes: 1, scansSent: 1, answered: 1, noAnswer: 0, dropped: 0, unexplained: 0 },
      revocationMs: { p50: 120, p99: 480, max: 510, gates: 2, revocations: 3 },
      operators: {
        signedRequests: 2,
        answeredOk: 1,
        refusedAsExpected: 1,
        explainedByFault: 0,
        failed: 0,
        intruderRequests: 3,
        intruderActedOn: 0,
        gateRefusals: { "request-pulse:unsigned": 1, "request-mode:unsigned": 1 },
      },
      byScenario: {
        valid: { scans: 2, granted: 2, denied: 0 },
        replay_other_gate: { scans: 1, granted: 0, denied: 1 },
        expired: { scans: 1, granted: 0, denied: 1 },
      },
      faults: [{ fault: "registry_down", at: SCRIPT_START + 4000 }],
      durationMs: 6000,
      gates: 2,
      lanes: 4,
    };
  }
}

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * What the metrics read at scrape time: state that already lives elsewhere (reader set,
 * relays, MQTT session, allowlist store, journal) is asked for when Prometheus scrapes,
 * never mirrored on the decision path.
 */
export interface MetricSources {
  /** Reader id → connected now. */
  readers(): Readonly<Record<string, boolean>>;
  /** Relay id → reachable now. */
  relays(): Readonly<Record<string, boolean>>;
  /** Undefined when the gate has no `mqtt:`. */
  mqttConnected(): boolean | undefined;
  allowlist(): { readonly version: number | null; readonly count: number; readonly syncedAt: number | null };
  /** Journal entries not yet acknowledged by the registry; undefined without `registry:`. */
  uploadBacklog(): number | undefined;
  gateMode(): string;
  /** The database file is known to be damaged (quick_check at start, or SQLITE_CORRUPT since). */
  databaseCorrupt(): boolean;
  /** The gate's reader bridges: id → online now, and whether the roster has it (paired). */
  bridges(): readonly { readonly id: string; readonly online: boolean; readonly paired: boolean }[];
  /** Epoch ms now (the daemon's clock), for the allowlist's age. */
  now(): number;
  /** The system clock is NTP-synchronised (the check `passgate doctor` makes); undefined when it cannot tell. */
  clockSynchronized(): Promise<boolean | undefined>;
  /** Inbound MQTT messages dropped unread, by `kind:reason` (MqttConnection.dropCounts); empty without mqtt:. */
  mqttDrops(): ReadonlyMap<string, number>;
  /** This gate's publishes the broker refused as not authorized, by topic (MqttConnection.refusedPublishes). */
  mqttRefused(): ReadonlyMap<string, number>;
  /** Site records the gate keeps, per kind (its outbox and what it keeps for catch-up); undefined without site share. */
  siteRecords(): Readonly<Record<string, number>> | undefined;
  /** Whether the gate hears its fail-closed anti-passback zone; undefined when the zone is not fail-closed. */
  zoneHeard(): boolean | undefined;
}

/** Decision latency buckets, seconds: 50 µs to 50 ms (the budget is well under 1 ms). */
export const DECISION_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
] as const;

const GATE_MODES = ["normal", "lockdown", "free"] as const;

/**
 * The gate's Prometheus metrics in a registry of their own (several daemons share a
 * process in the simulator and the tests, so the global default registry is never used).
 * The decision path calls only `decision()`: one counter increment and one histogram
 * observation. The gauges read `MetricSources` when scraped; they are added by `observe`,
 * since the counters are handed to the gate's parts before the parts the gauges read exist.
 * Names, types and labels are listed in docs/operations.md ("Metrics").
 */
export class GateMetrics {
  readonly registry = new Registry();
  private readonly decisions: Counter<"result" | "reason" | "reader">;
  private readonly duration: Histogram;
  private readonly rejected: Counter<"reader" | "reason">;
  private readonly pulses: Counter<"relay" | "outcome">;
  private readonly syncFailures: Counter;
  private observing = false;

  constructor(version: string) {
    const registers = [this.registry];
    this.decisions = new Counter({
      name: "passgate_decisions_total",
      help: "Decisions journaled, by result, reason and reader.",
      labelNames: ["result", "reason", "reader"],
      registers,
    });
    this.duration = new Histogram({
      name: "passgate_decision_duration_seconds",
      help: "Time from receiving a scan's text to its committed journal entry.",
      buckets: [...DECISION_BUCKETS],
      registers,
    });
    this.rejected = new Counter({
      name: "passgate_scan_rejected_total",
      help: "Reader input dropped before a decision (too long, duplicate, rate, ...), by reader and reason.",
      labelNames: ["reader", "reason"],
      registers,
    });
    this.pulses = new Counter({
      name: "passgate_relay_pulses_total",
      help: "Relay pulses for grants and test pulses, by relay and outcome (opened or the RelayError code).",
      labelNames: ["relay", "outcome"],
      registers,
    });
    this.syncFailures = new Counter({
      name: "passgate_sync_failures_total",
      help: "Registry pulls that failed or whose body was refused.",
      registers,
    });
    new Gauge({
      name: "passgate_build_info",
      help: "Always 1; the version as a label.",
      labelNames: ["version"],
      registers,
    }).set({ version }, 1);
    collectDefaultMetrics({ register: this.registry });
  }

  /** Adds the gauges, read from `sources` at each scrape. Once per instance (names must be unique). */
  observe(sources: MetricSources): void {
    if (this.observing) throw new Error("the gauges are already observed");
    this.observing = true;
    const registers = [this.registry];
    new Gauge({
      name: "passgate_reader_connected",
      help: "1 when the reader is connected, 0 otherwise.",
      labelNames: ["reader"],
      registers,
      collect() {
        this.reset();
        for (const [reader, up] of Object.entries(sources.readers())) this.set({ reader }, up ? 1 : 0);
      },
    });
    new Gauge({
      name: "passgate_relay_available",
      help: "1 when a pulse could reach the relay now, 0 otherwise.",
      labelNames: ["relay"],
      registers,
      collect() {
        this.reset();
        for (const [relay, up] of Object.entries(sources.relays())) this.set({ relay }, up ? 1 : 0);
      },
    });
    new Gauge({
      name: "passgate_bridge_online",
      help: "1 when the reader bridge's retained status says online, 0 otherwise.",
      labelNames: ["bridge", "paired"],
      registers,
      collect() {
        this.reset();
        for (const b of sources.bridges())
          this.set({ bridge: b.id, paired: String(b.paired) }, b.online ? 1 : 0);
      },
    });
    new Gauge({
      name: "passgate_mqtt_connected",
      help: "1 when the gate's MQTT session is connected; 0 when not, or without mqtt:.",
      registers,
      collect() {
        this.set(sources.mqttConnected() === true ? 1 : 0);
      },
    });
    new Gauge({
      name: "passgate_allowlist_version",
      help: "Registry version of the allowlist in force (0 before the first import or sync).",
      registers,
      collect() {
        this.set(sources.allowlist().version ?? 0);
      },
    });
    new Gauge({
      name: "passgate_allowlist_credentials",
      help: "Credentials in the allowlist in force.",
      registers,
      collect() {
        this.set(sources.allowlist().count);
      },
    });
    new Gauge({
      name: "passgate_allowlist_age_seconds",
      help: "Seconds since the allowlist in force was committed; +Inf before the first.",
      registers,
      collect() {
        const { syncedAt } = sources.allowlist();
        // +Inf rather than 0 before the first allowlist: an age alert must fire, not pass.
        this.set(
          syncedAt === null ? Number.POSITIVE_INFINITY : Math.max(0, (sources.now() - syncedAt) / 1000),
        );
      },
    });
    new Gauge({
      name: "passgate_upload_backlog_events",
      help: "Journal entries not yet acknowledged by the registry; 0 without registry:.",
      registers,
      collect() {
        this.set(sources.uploadBacklog() ?? 0);
      },
    });
    new Gauge({
      name: "passgate_database_corrupt",
      help: "1 when the gate's database file is damaged (every scan is denied until it is restored), 0 otherwise.",
      registers,
      collect() {
        this.set(sources.databaseCorrupt() ? 1 : 0);
      },
    });
    new Gauge({
      name: "passgate_clock_synchronized",
      help: "1 when the system clock is NTP-synchronised, 0 when not, NaN when the gate cannot tell (no timedatectl).",
      registers,
      async collect() {
        const synced = await sources.clockSynchronized();
        // NaN, not 0, when unknown: an alert on `== 0` must not fire on a machine without systemd.
        this.set(synced === undefined ? Number.NaN : synced ? 1 : 0);
      },
    });
    new Counter({
      name: "passgate_mqtt_dropped_total",
      help: "Inbound MQTT messages dropped before anything acted on them, by topic kind and reason (too_large, not_json, invalid).",
      labelNames: ["kind", "reason"],
      registers,
      collect() {
        // The session already counts its drops; the counter is rebuilt from them at each scrape.
        this.reset();
        for (const [key, n] of sources.mqttDrops()) {
          const at = key.lastIndexOf(":");
          this.inc({ kind: key.slice(0, at), reason: key.slice(at + 1) }, n);
        }
      },
    });
    new Counter({
      name: "passgate_mqtt_publish_refused_total",
      help: "This gate's publishes the broker refused as not authorized, by topic: its ACLs lack the topic (re-run passgate broker acl).",
      labelNames: ["topic"],
      registers,
      collect() {
        this.reset();
        for (const [topic, n] of sources.mqttRefused()) this.inc({ topic }, n);
      },
    });
    new Gauge({
      name: "passgate_site_records",
      help: "Site-share records this gate keeps, by kind: waiting for the broker, or kept until they expire for other gates' catch-up.",
      labelNames: ["kind"],
      registers,
      collect() {
        this.reset();
        for (const [kind, n] of Object.entries(sources.siteRecords() ?? {})) this.set({ kind }, n);
      },
    });
    new Gauge({
      name: "passgate_zone_heard",
      help: "1 while the gate hears every gate of its fail-closed anti-passback zone, 0 while cut off (anti-passback denies), NaN where the zone is not fail-closed.",
      registers,
      collect() {
        const heard = sources.zoneHeard();
        this.set(heard === undefined ? Number.NaN : heard ? 1 : 0);
      },
    });
    new Gauge({
      name: "passgate_gate_mode",
      help: "1 for the gate's current mode, 0 for the others.",
      labelNames: ["mode"],
      registers,
      collect() {
        const current = sources.gateMode();
        for (const mode of GATE_MODES) this.set({ mode }, mode === current ? 1 : 0);
      },
    });
  }

  /** On the decision path: O(1), no I/O. */
  decision(result: string, reason: string, reader: string, micros: number): void {
    this.decisions.inc({ result, reason, reader });
    this.duration.observe(micros / 1_000_000);
  }

  scanRejected(reader: string, reason: string): void {
    this.rejected.inc({ reader, reason });
  }

  relayPulse(relay: string, outcome: string): void {
    this.pulses.inc({ relay, outcome });
  }

  syncFailed(): void {
    this.syncFailures.inc();
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}

import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import type { ScanOutcome } from "../../daemon/gate/gate.js";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Scan } from "../../reader-bridge/scan-source.js";
import { EmbeddedBroker } from "../broker/embedded-broker.js";
import { RegistryServer } from "../registry/registry-server.js";
import { bridgedLaneIds, defaultBridgedLanes, nightWindow, planGate } from "./campus-config.js";
import { CampusCrowd } from "./campus-crowd.js";
import { GuardDesk } from "./campus-desk.js";
import type { CampusEvent, CampusEventListener } from "./campus-events.js";
import { gateProcessSummary, summarizeRun } from "./campus-finish.js";
import { type CampusGate, DaemonRunner } from "./campus-gate.js";
import { CampusIntruder } from "./campus-intruder.js";
import { CampusJudge } from "./campus-judge.js";
import { CampusRegistry } from "./campus-registry.js";
import { makeCampusGates } from "./campus-site.js";
import { CampusWatch, type WatchedMessage } from "./campus-watch.js";
import { FaultRunner } from "./fault-runner.js";
import { explainingFault, SEEN_THROUGH_MS } from "./faults.js";
import { GateProcess } from "./gate-process.js";
import { OperatorClient } from "./operator-client.js";
import { RevocationClock } from "./revocation-clock.js";
import { SeededRandom } from "./rng.js";
import { ScanLedger } from "./scan-ledger.js";
import type { CampusSummary } from "./summary.js";
import { sleep, waitFor, waitForStable } from "./wait.js";

export type { CampusSummary } from "./summary.js";

export interface CampusOptions {
  /** Emptied first; each gate's config and database under it. */
  readonly dir: string;
  /** Default 2; each gate has an "in" and an "out" lane (reader + relay + turnstile). */
  readonly gates?: number;
  /** Default 30. */
  readonly peoplePerMinutePerLane?: number;
  /** A real broker (MQTT 5); absent = embedded aedes on a free loopback port (gates use protocolVersion 4). */
  readonly brokerUrl?: string;
  /**
   * Lanes read through a reader bridge (a serial scanner → `startBridge` → the broker → the
   * gate); default one lane of every second gate (`defaultBridgedLanes`), at most all lanes.
   */
  readonly bridgedLanes?: number;
  /** Default true: inject the fault schedule. */
  readonly faults?: boolean;
  /** Absent = run until stop(). */
  readonly durationMs?: number;
  readonly seed?: number;
  /** Daemon logs (the CLI passes a quiet logger). */
  readonly logger: Logger;
  /** Default systemClock; it must move with real time (the crowd is paced by timers). */
  readonly clock?: Clock;
  /** More members for every gate's roster: the demo's web console as an operator. */
  readonly members?: readonly RosterMember[];
  /**
   * Each gate as its own `passgate run` process (the built CLI, `dist/`), learnt about from
   * what it publishes; one is killed and started again each cycle (`gate_restart`). Default:
   * every gate in this process.
   */
  readonly processes?: boolean;
}

export interface RunningCampus {
  readonly brokerUrl: string;
  readonly registryUrl: string;
  /** Each gate with its config, and the readers of its lanes that a reader bridge reads. */
  readonly gates: readonly {
    readonly id: string;
    readonly configPath: string;
    readonly bridgedReaders?: readonly string[];
  }[];
  onEvent(listener: CampusEventListener): () => void;
  /** After durationMs (or stop()): everything stopped cleanly. */
  readonly done: Promise<CampusSummary>;
  stop(): Promise<CampusSummary>;
  /** Revokes a person (person id or credential id): a new allowlist version, pushed. */
  revoke(person: string): Promise<number>;
  /** Adds a visitor valid today: a new allowlist version, pushed; returns the person id. */
  addVisitor(name?: string): Promise<string>;
}

/** Rotations and passage timeouts still under way when the crowd stops. */
const DRAIN_MS = 2_500;
/**
 * How often each gate's allowlist version and sync state are looked at for `sync` events
 * (the live view's sync line; revocation times come from the gates' own reports). With gate
 * processes, 1 s: each look reads another process's database (two reads of about 0.25–1 ms,
 * its pages changed since), and at 100 ms this watch alone took 4.4 of the simulator's 30 s
 * of CPU with 20 gates (profiled).
 */
const SYNC_WATCH_MS = { inProcess: 100, processes: 1_000 } as const;
/** Gate processes starting at once: node's start is CPU-bound, and 50 at once swamp 2 cores. */
const PROCESS_STARTS_AT_ONCE = 2;
/** How long the first sync of every gate may take (many gate processes pull at once from one registry). */
const FIRST_SYNC_MS = 60_000;
/** A decision event's `at` and a scan's `shownAt` come from this machine's one clock; ms of rounding. */
const SAME_CLOCK_SLACK_MS = 5;

/**
 * Starts a simulated campus: a broker (embedded unless `brokerUrl`), the registry over
 * HTTP, `gates` gates in this process each with its own config and SQLite database, two
 * lanes per gate (a firmware reader on MQTT, a relay board, a turnstile), and the crowd.
 * Every scan carries what a correct gate must answer; docs/simulator.md has the rules.
 */
export async function startCampus(options: CampusOptions): Promise<RunningCampus> {
  const clock = options.clock ?? systemClock;
  const seed = options.seed ?? 1;
  const rng = new SeededRandom(seed);
  const gateCount = Math.max(1, Math.floor(options.gates ?? 2));
  const perMinute = options.peoplePerMinutePerLane ?? 30;
  const dir = resolve(options.dir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const listeners = new Set<CampusEventListener>();
  const revocations = new RevocationClock();
  const emit = (event: CampusEvent) => {
    if (event.kind === "registry" && event.change === "revoke")
      revocations.revoked(event.version, clock.now());
    for (const l of listeners) l(event);
  };

  const broker = options.brokerUrl === undefined ? new EmbeddedBroker() : undefined;
  const brokerUrl = options.brokerUrl ?? (await (broker as EmbeddedBroker).start(0));
  const protocolVersion = broker === undefined ? 5 : 4;
  const registryKey = generateKeyPairSync("ed25519");
  const bridged = bridgedLaneIds(gateCount, options.bridgedLanes ?? defaultBridgedLanes(gateCount));
  const plans = Array.from({ length: gateCount }, (_, i) => planGate(dir, i, bridged));
  const registry = new CampusRegistry(
    new RegistryServer({
      site: "sim-campus",
      token: null,
      keyId: "sim-campus-registry",
      privateKey: registryKey.privateKey,
      issuedAt: () => new Date(clock.now()).toISOString(),
    }),
    { rng, now: () => clock.now(), gates: plans.map((p) => p.gate), emit },
  );
  const registryUrl = await registry.start();
  const night = nightWindow(clock.now());
  const tryAgain = { total: 0, unexplained: 0 };
  const { gates, desk } = makeCampusGates(plans, {
    brokerUrl,
    protocolVersion,
    registryUrl,
    registryPublicKey: publicKeyText(registryKey.publicKey),
    night,
    members: options.members ?? [],
    clock,
    logger: options.logger,
    onTryAgain: (gate) => {
      // "Try again": the person shows the phone again, as after an unread code; a fault
      // (the broker away, the bridge restarted, the gate's clock stepping) explains it.
      tryAgain.total++;
      if (explainingFault("no_answer", gate, clock.now(), faults.windows) === undefined)
        tryAgain.unexplained++;
    },
  });
  const ledger = new ScanLedger();
  const faults = new FaultRunner({
    broker,
    registry: registry.server,
    registryPort: Number(new URL(registryUrl).port),
    gates,
    rng,
    now: () => clock.now(),
    emit,
    onRegistry: (up) => {
      if (!up) {
        revocations.registryDown();
        return;
      }
      revocations.registryUp(clock.now());
      // A registry back from an outage announces its version: gates that missed a change pull now.
      watch.pushChanged(registry.version());
    },
  });
  const processes = new Map<string, GateProcess>(
    options.processes === true ? plans.map((p) => [p.gate, new GateProcess(p.configPath)]) : [],
  );
  // A campus that exits without its stop (an uncaught error, a second Ctrl-C) takes its gate
  // processes with it: nothing else would ever stop them.
  const killGates = () => {
    for (const p of processes.values()) p.killNow();
  };
  if (processes.size > 0) process.once("exit", killGates);
  let passages = 0;
  const watch = new CampusWatch(plans, (m: WatchedMessage) => onWatched(m), processes.size > 0);
  const onWatched = (m: WatchedMessage) => {
    const gate = gates.find((g) => g.id === m.gate);
    switch (m.kind) {
      case "relay":
        emit({ kind: "relay", at: clock.now(), gate: m.gate, relay: m.relay, on: m.on });
        return;
      case "status":
        processes.get(m.gate)?.observeStatus(m.online, Date.now());
        return;
      case "state": {
        processes.get(m.gate)?.observeState(m.state);
        const applied = m.state.allowlist;
        // A skewed gate stamps with its own clock: taken back to the campus's, with the offset
        // it had when it applied (the skew may have ended since).
        if (applied?.appliedAt !== undefined && gate !== undefined)
          revocations.reported(m.gate, applied.version, gate.clock.toCampus(applied.appliedAt));
        return;
      }
      case "decision": {
        if (gate === undefined) return;
        const e = m.event;
        judge.decided({
          gate,
          reader: e.reader,
          result: e.result === "granted" ? "grant" : "deny",
          reason: e.reason,
          // The credential, and a scan shown before the gate took it (`at`): a late decision of
          // a scan already given up must not be taken for a later scan of the same person.
          answers: (p) =>
            p.plan.person.credential.id === e.credential && p.shownAt <= e.at + SAME_CLOCK_SLACK_MS,
          gateNow: e.at,
          decidedAt: e.at,
          versions: (pending) => [pending.version, gate.allowlistVersion()],
          // The gate's own time; a gate without it in its events: the code shown until its event came.
          micros: (pending, realNow) => e.micros ?? (realNow - pending.shownAt) * 1000,
        });
        return;
      }
      case "passage":
        if (m.result === "forced_passage") crowd.forced.alarmed(m.gate, m.reader, Date.now());
        if (m.result === "passed") passages++;
        if (m.result !== "forced_passage")
          emit({
            kind: "passage",
            at: clock.now(),
            gate: m.gate,
            reader: m.reader,
            passed: m.result === "passed",
          });
    }
  };
  await watch.start(brokerUrl, protocolVersion);
  const deskClient = new OperatorClient("desk");
  const intruderClient = new OperatorClient("intruder");
  const operatorDeps = { gates, now: () => clock.now(), emit };
  const guardDesk = new GuardDesk({
    ...operatorDeps,
    key: desk,
    client: deskClient,
    windows: faults.windows,
  });
  const intruder = new CampusIntruder({ ...operatorDeps, client: intruderClient });
  const rounds = new Set<Promise<void>>();
  const round = (what: string, run: () => Promise<void>) => {
    const p = run().catch((err: unknown) => {
      // A round that throws is a bug of the simulator: it fails the run rather than hide.
      options.logger.error({ err, what }, "campus operator round failed");
      guardDesk.tally.failed++;
    });
    rounds.add(p);
    void p.finally(() => rounds.delete(p));
  };
  registry.attachPush((to) => {
    // Without the broker the push is lost: ask each gate to pull (they also poll every 5 s).
    if (!watch.pushChanged(to)) for (const g of gates) g.requestSync();
  });

  const crowd = new CampusCrowd({
    rng,
    clock,
    gates,
    registry,
    ledger,
    faults,
    emit,
    night,
    perMinute,
    injectFaults: options.faults !== false,
    gateProcesses: processes.size > 0,
    durationMs: options.durationMs,
    desk: (cycle) => round("desk", () => guardDesk.visit(cycle)),
    intruder: (cycle) => round("intruder", () => intruder.visit(cycle)),
  });
  const judge = new CampusJudge({ clock, ledger, registry, faults, crowd, emit });
  faults.decisionsOf = (gate) => judge.perGate.get(gate) ?? 0;
  // In this process the campus reads the gate's allowlist version at the very decision.
  const inProcess = (gate: CampusGate) => (outcome: ScanOutcome, scan: Scan) => {
    const version = gate.allowlistVersion();
    judge.decided({
      gate,
      reader: scan.reader,
      result: outcome.decision.result === "granted" ? "grant" : "deny",
      reason: outcome.decision.reason,
      answers: (p) => p.plan.text === scan.text,
      gateNow: gate.clock.now(),
      versions: () => [version],
      micros: () => outcome.micros,
    });
  };
  const startedAt = Date.now();
  let startMs = 0;
  try {
    await deskClient.start(brokerUrl, protocolVersion);
    await intruderClient.start(brokerUrl, protocolVersion);
    if (processes.size === 0) {
      for (const g of gates)
        await g.start(
          new DaemonRunner(g.config, {
            clock: g.clock,
            logger: options.logger.child({ gate: g.id }),
            onDecision: inProcess(g),
          }),
        );
    } else {
      // Every lane's devices before the first gate process: node starting up takes all the
      // CPU there is, and a device connecting meanwhile could time out.
      for (const g of gates) await g.startDevices();
      await inBatches(gates, PROCESS_STARTS_AT_ONCE, (g) => g.startGate(processes.get(g.id) as GateProcess));
    }
    startMs = Date.now() - startedAt;
    await waitFor(
      () => gates.every((g) => g.allowlistVersion() >= registry.version()),
      FIRST_SYNC_MS,
      "the first sync",
    );
  } catch (err) {
    // A campus that cannot start leaves nothing running behind it.
    for (const g of [...gates].reverse()) await g.stop();
    for (const p of processes.values()) await p.kill();
    process.off("exit", killGates);
    await intruderClient.stop();
    await deskClient.stop();
    await watch.stop();
    await registry.stop();
    await broker?.stop();
    throw err;
  }
  // Each gate's allowlist version as it changes, and its syncs failing (the live view's sync line).
  // Starts empty so the first tick reports each gate's version after the first sync.
  const versions = new Map<string, number>();
  const failing = new Map<string, string | undefined>();
  const syncWatch = setInterval(
    () => {
      for (const g of gates) {
        const version = g.allowlistVersion();
        const error = g.syncError();
        if (error !== failing.get(g.id)) {
          failing.set(g.id, error);
          if (error !== undefined)
            emit({ kind: "sync", at: clock.now(), gate: g.id, version, ok: false, error });
        }
        if (version === versions.get(g.id)) continue;
        versions.set(g.id, version);
        emit({ kind: "sync", at: clock.now(), gate: g.id, version, ok: true });
      }
    },
    SYNC_WATCH_MS[processes.size > 0 ? "processes" : "inProcess"],
  );
  crowd.start();
  let stopping: Promise<CampusSummary> | undefined;
  let endTimer: NodeJS.Timeout | undefined;

  /** `seeThrough`: the run's time is up (not a stop asked for): a fault overdue is seen through. */
  const stop = (seeThrough: boolean): Promise<CampusSummary> => {
    stopping ??= (async () => {
      clearTimeout(endTimer);
      if (seeThrough && faults.overdue()) {
        crowd.onlyArrivals();
        await faults.settle();
        await sleep(SEEN_THROUGH_MS);
      }
      crowd.stop(false);
      clearInterval(syncWatch);
      const durationMs = crowd.elapsed();
      await faults.settle();
      await sleep(DRAIN_MS);
      crowd.stop(true);
      await Promise.all([...rounds]);
      const gateRefusals = await guardDesk.gateRefusals();
      // Let every gate hand its journal to the registry before it stops.
      await waitFor(() => registry.server.events.size >= ledger.decisions.length, 5_000, "").catch(
        () => undefined,
      );
      await waitForStable(() => registry.server.events.size, 600, 5_000);
      // Every gate's memory while it still runs, as it stood after the whole run.
      const memory = [...processes.values()].map((p) => p.memory());
      // Gate processes stop side by side (each takes a moment to finish its pulses and checkpoint).
      if (processes.size > 0) await Promise.all(gates.map((g) => g.stop()));
      else for (const g of [...gates].reverse()) await g.stop();
      process.off("exit", killGates);
      await intruderClient.stop();
      await deskClient.stop();
      await watch.stop();
      await registry.stop();
      await broker?.stop();
      return summarizeRun({
        durationMs,
        gates,
        ledger,
        faults,
        now: clock.now(),
        forced: {
          rotations: crowd.forced.rotations,
          alarms: crowd.forced.alarms,
          falseAlarms: crowd.forced.falseAlarms,
        },
        passages,
        eventsUploaded: registry.server.events.size,
        tryAgain,
        operators: {
          ...guardDesk.tally,
          intruderRequests: intruder.requests,
          intruderActedOn: intruder.actedOn,
          gateRefusals,
        },
        withoutDeskOpens: (gate, reader, opens) => guardDesk.withoutDeskOpens(gate, reader, opens),
        revocationMs: revocations.summary(gates.map((g) => g.id)),
        ...(processes.size === 0
          ? {}
          : { gateProcesses: gateProcessSummary([...processes.values()], memory, faults, startMs) }),
      });
    })();
    return stopping;
  };
  let stopRequested: () => void = () => {};
  const done = new Promise<CampusSummary>((resolveDone, rejectDone) => {
    const finish = (seeThrough: boolean) => stop(seeThrough).then(resolveDone, rejectDone);
    if (options.durationMs !== undefined) endTimer = setTimeout(() => finish(true), options.durationMs);
    stopRequested = () => finish(false);
  });

  return {
    brokerUrl,
    registryUrl,
    gates: plans.map((p) => ({
      id: p.gate,
      configPath: p.configPath,
      bridgedReaders: p.lanes.filter((l) => l.bridged).map((l) => l.reader),
    })),
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    done,
    stop: () => {
      stopRequested();
      return done;
    },
    revoke: (person) => registry.revoke(person),
    addVisitor: (name) => registry.addVisitor(name),
  };
}

/** Runs `start` for every item, at most `atOnce` at a time; the first failure rejects once all have settled. */
async function inBatches<T>(
  items: readonly T[],
  atOnce: number,
  start: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  const errors: unknown[] = [];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) {
      await start(item).catch((err: unknown) => {
        errors.push(err);
        queue.length = 0;
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

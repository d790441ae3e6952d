import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { openGateDatabase } from "../../app/gate-database.js";
import { OPEN_DEADLINE_MS } from "../../daemon/actuate/relay-set.js";
import type { ScanOutcome } from "../../daemon/gate/gate.js";
import { Journal } from "../../daemon/journal/journal.js";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { Scan } from "../../reader-bridge/scan-source.js";
import { EmbeddedBroker } from "../broker/embedded-broker.js";
import { RegistryServer } from "../registry/registry-server.js";
import { CampusBridge, campusBridgeConfig, makeBridgeKey, scannerPaths } from "./campus-bridge.js";
import type { GatePlan, LanePlan } from "./campus-config.js";
import {
  bridgedLaneIds,
  CAMPUS_SITE,
  CAMPUS_TOKEN_WINDOW,
  defaultBridgedLanes,
  nightWindow,
  planGate,
  writeGateConfig,
} from "./campus-config.js";
import { CampusCrowd } from "./campus-crowd.js";
import { DESK_ID, GuardDesk, makeDeskOperator } from "./campus-desk.js";
import type { CampusEvent, CampusEventListener } from "./campus-events.js";
import { CampusGate, type CampusLane } from "./campus-gate.js";
import { CampusIntruder } from "./campus-intruder.js";
import { CampusRegistry } from "./campus-registry.js";
import { makeCampusKeys, seedCampusRoster } from "./campus-trust.js";
import { CampusWatch, type WatchedMessage } from "./campus-watch.js";
import { FaultRunner } from "./fault-runner.js";
import { explainingFault } from "./faults.js";
import { OperatorClient } from "./operator-client.js";
import { SeededRandom } from "./rng.js";
import { ScanLedger } from "./scan-ledger.js";
import { expectedAnswer } from "./scenarios.js";
import { type CampusSummary, summarize } from "./summary.js";

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
/** How often each gate's allowlist version is looked at for `sync` events. */
const SYNC_WATCH_MS = 100;

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
  const emit = (event: CampusEvent) => {
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
  for (const plan of plans) mkdirSync(dirname(plan.configPath), { recursive: true });
  // The site's members: the gates, the guard desk (an operator with the guard role) and
  // the bridges of the bridged lanes (each paired with its gate).
  const desk = makeDeskOperator();
  const gateMembers = makeCampusKeys(plans);
  const bridgeKeys = new Map(
    plans.flatMap((plan) =>
      plan.lanes
        .filter((l) => l.bridged)
        .map((l) => [`${l.gate}/${l.reader}`, makeBridgeKey(plan, l)] as const),
    ),
  );
  const members = [
    ...gateMembers,
    desk.member,
    ...[...bridgeKeys.values()].map((k) => k.member),
    ...(options.members ?? []),
  ];
  const tryAgain = { total: 0, unexplained: 0 };
  const makeBridge = (plan: GatePlan, gateKey: string) => (lane: LanePlan, gateClock: Clock) => {
    const key = bridgeKeys.get(`${lane.gate}/${lane.reader}`);
    if (key === undefined) return undefined;
    const config = campusBridgeConfig(plan, lane, {
      brokerUrl,
      protocolVersion,
      site: CAMPUS_SITE,
      gateKey,
      keyFile: key.keyFile,
    });
    return new CampusBridge(config, scannerPaths(plan, lane), {
      clock: gateClock,
      logger: options.logger.child({ gate: lane.gate, bridge: key.member.id }),
      onPlayed: (answer) => {
        if (answer.answered) return;
        // "Try again": the person shows the phone again, as after an unread code; a fault
        // (the broker away, the bridge restarted, the gate's clock stepping) explains it.
        tryAgain.total++;
        if (explainingFault("no_answer", lane.gate, clock.now(), faults.windows) === undefined)
          tryAgain.unexplained++;
      },
    });
  };
  const gates = plans.map((plan) => {
    const config = writeGateConfig(plan, {
      brokerUrl,
      protocolVersion,
      registryUrl,
      registryKeyId: "sim-campus-registry",
      registryPublicKey: publicKeyText(registryKey.publicKey),
      night,
    });
    seedCampusRoster(config, members, clock.now());
    const gateKey = gateMembers.find((m) => m.gate === plan.gate)?.publicKey ?? "";
    return new CampusGate(plan, config, brokerUrl, protocolVersion, clock, makeBridge(plan, gateKey));
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
  });
  const forced = { alarms: 0 };
  let passages = 0;
  const watch = new CampusWatch(plans, (m: WatchedMessage) => {
    if (m.kind === "relay") {
      emit({ kind: "relay", at: clock.now(), gate: m.gate, relay: m.relay, on: m.on });
      return;
    }
    if (m.result === "forced_passage") forced.alarms++;
    if (m.result === "passed") passages++;
    if (m.result !== "forced_passage")
      emit({
        kind: "passage",
        at: clock.now(),
        gate: m.gate,
        reader: m.reader,
        passed: m.result === "passed",
      });
  });
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

  const onDecision = (gate: CampusGate) => (outcome: ScanOutcome, scan: Scan) => {
    const realNow = Date.now();
    const pending = ledger.answer(gate.id, scan.reader, scan.text, realNow);
    if (pending === undefined) return;
    const { plan } = pending;
    const knowledge = {
      now: gate.clock.now(),
      version: gate.allowlistVersion(),
      window: CAMPUS_TOKEN_WINDOW,
    };
    const history = registry.history(plan.person.credential.id);
    const expect = expectedAnswer(plan, knowledge, history);
    const { reason } = outcome.decision;
    const result = outcome.decision.result === "granted" ? "grant" : "deny";
    const explainedBy =
      result === "deny" && expect === "grant"
        ? explainingFault(reason, gate.id, clock.now(), faults.windows)
        : undefined;
    ledger.decided({ scenario: plan.scenario, expect, result, reason, micros: outcome.micros, explainedBy });
    crowd.decided(plan.scenario);
    if (faults.skewRefusals.has(gate.id) && expect === "deny") {
      const trueClock = expectedAnswer(plan, { ...knowledge, now: clock.now() }, history);
      if (trueClock === "grant")
        faults.skewRefusals.set(gate.id, (faults.skewRefusals.get(gate.id) ?? 0) + 1);
    }
    emit({
      kind: "decision",
      at: clock.now(),
      gate: gate.id,
      reader: scan.reader,
      person: plan.person.credential.person,
      scenario: plan.scenario,
      expect,
      result,
      reason,
      micros: outcome.micros,
    });
    if (result !== "grant") return;
    ledger.granted(pending, realNow);
    crowd.granted(gate, scan.reader, plan);
  };

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
    durationMs: options.durationMs,
    desk: (cycle) => round("desk", () => guardDesk.visit(cycle)),
    intruder: (cycle) => round("intruder", () => intruder.visit(cycle)),
  });
  try {
    await deskClient.start(brokerUrl, protocolVersion);
    await intruderClient.start(brokerUrl, protocolVersion);
    for (const g of gates) await g.start(options.logger, onDecision(g));
    await waitFor(
      () => gates.every((g) => g.allowlistVersion() >= registry.version()),
      15_000,
      "the first sync",
    );
  } catch (err) {
    // A campus that cannot start leaves nothing running behind it.
    for (const g of [...gates].reverse()) await g.stop();
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
  const syncWatch = setInterval(() => {
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
  }, SYNC_WATCH_MS);
  crowd.start();
  const lanes: CampusLane[] = gates.flatMap((g) => g.lanes);
  let stopping: Promise<CampusSummary> | undefined;
  let endTimer: NodeJS.Timeout | undefined;

  const stop = (): Promise<CampusSummary> => {
    stopping ??= (async () => {
      crowd.stop(false);
      clearTimeout(endTimer);
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
      for (const g of [...gates].reverse()) await g.stop();
      await intruderClient.stop();
      await deskClient.stop();
      await watch.stop();
      await registry.stop();
      await broker?.stop();
      const journals = gates.map((g) => checkJournal(g.config.storage.path));
      const journalsVerified = journals.every((j) => j.verified);
      // The desk's pulses open boards with no scan before them: not late opens.
      const lateOpens = lanes.reduce(
        (sum, l) =>
          sum +
          ledger.lateOpens(
            l.plan.gate,
            l.plan.reader,
            guardDesk.withoutDeskOpens(l.plan.gate, l.plan.reader, l.board.opens),
            OPEN_DEADLINE_MS,
          ),
        0,
      );
      const extra: { fault: string; at: number; detail?: string }[] = [];
      const neverDecided = ledger.lost + ledger.unanswered();
      if (neverDecided > 0 || ledger.unmatched > 0 || faults.unread > 0) {
        const bridgeNote =
          tryAgain.total > 0
            ? ` (bridges played "try again" ${tryAgain.total} times, ${tryAgain.unexplained} outside a fault)`
            : "";
        extra.push({
          fault: "unread",
          at: clock.now(),
          detail: `${faults.unread} codes shown to readers that were offline, ${neverDecided} scans never decided${bridgeNote}, ${ledger.unmatched} decisions matched no scan`,
        });
      }
      const bridgeLanes = lanes.filter((l) => l.bridge !== undefined);
      const bridgeCounts = bridgeLanes.map((l) => (l.bridge as CampusBridge).counts());
      const bridges = {
        lanes: bridgeLanes.length,
        scansSent: bridgeCounts.reduce((sum, c) => sum + c.scansSent, 0),
        answered: bridgeCounts.reduce((sum, c) => sum + c.answered, 0),
        noAnswer: bridgeCounts.reduce((sum, c) => sum + c.noAnswer, 0),
        dropped: bridgeCounts.reduce((sum, c) => sum + c.dropped, 0),
        unexplained: tryAgain.unexplained,
      };
      return summarize({
        durationMs,
        gates: gates.length,
        lanes: lanes.length,
        decisions: ledger.decisions,
        forced: { rotations: crowd.forcedRotations, alarms: forced.alarms },
        faults: [...faults.record, ...extra],
        // For grants: the desk's opens are its own count (operators.answeredOk).
        relayOpens: lanes.reduce(
          (sum, l) => sum + guardDesk.withoutDeskOpens(l.plan.gate, l.plan.reader, l.board.opens).length,
          0,
        ),
        passages,
        lateOpens,
        eventsUploaded: registry.server.events.size,
        journalsVerified,
        bridges,
        operators: {
          ...guardDesk.tally,
          intruderRequests: intruder.requests,
          intruderActedOn: intruder.actedOn + journals.reduce((sum, j) => sum + j.unsignedActs, 0),
          gateRefusals,
        },
      });
    })();
    return stopping;
  };
  let stopRequested: () => void = () => {};
  const done = new Promise<CampusSummary>((resolveDone, rejectDone) => {
    const finish = () => stop().then(resolveDone, rejectDone);
    if (options.durationMs !== undefined) endTimer = setTimeout(finish, options.durationMs);
    stopRequested = finish;
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

/**
 * A gate's journal after the run: whether its hash chain verifies, and the mode changes and
 * test pulses in it that the guard desk did not sign (nobody else may make them: each is
 * something the gate did for the intruder). The desk's mode requests are refused, so every
 * mode change counts.
 */
function checkJournal(path: string): { verified: boolean; unsignedActs: number } {
  const db = openGateDatabase({ path, synchronous: "normal" }, "read");
  try {
    const journal = Journal.open(db);
    let unsignedActs = 0;
    for (let seq = 0, batch = journal.since(0, 1_000); batch.length > 0; batch = journal.since(seq, 1_000)) {
      for (const e of batch) {
        seq = e.seq;
        if (e.kind === "mode" || (e.reason === "test_pulse" && e.data.by !== DESK_ID)) unsignedActs++;
      }
    }
    return { verified: journal.verify().ok, unsignedActs };
  } finally {
    db.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `done` every 20 ms; rejects after `timeoutMs` of real time. */
async function waitFor(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`campus: timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Waits until `value()` has not changed for `quietMs`, at most `maxMs`. */
async function waitForStable(value: () => number, quietMs: number, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  let last = value();
  let since = Date.now();
  while (Date.now() < deadline && Date.now() - since < quietMs) {
    await sleep(50);
    const now = value();
    if (now !== last) {
      last = now;
      since = Date.now();
    }
  }
}

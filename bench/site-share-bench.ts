import { z } from "zod";
import { parsePayload } from "../daemon/mqtt/mqtt-connection.js";
import { FakeMqttConnection } from "../daemon/mqtt/testing/fake-mqtt-connection.js";
import { gateTopics } from "../daemon/mqtt/topics.js";
import { migrateSiteOutbox, SiteOutbox } from "../daemon/site/site-outbox.js";
import { SiteShare } from "../daemon/site/site-share.js";
import { replayExpiry } from "../daemon/state/replay-guard.js";
import { Roster } from "../daemon/trust/roster.js";
import { SiteTrust } from "../daemon/trust/site-trust.js";
import { testGateMember } from "../daemon/trust/testing/test-members.js";
import { encodeEd25519Token } from "../daemon/verify/pg1-encoder.js";
import { createLogger } from "../platform/log/logger.js";
import { FakeClock } from "../platform/testing/fake-clock.js";
import { benchPhoneKey, benchScheme } from "./bench-population.js";
import { type BenchResult, percentile } from "./bench-result.js";
import { BASE_MS, gateOver, openBenchGateDatabase, random, SITE } from "./scan-path-bench.js";

/** What the MQTT layer checks a site record against before the share sees it. */
const jsonObject = z.record(z.string(), z.unknown());
/** Scans per block; blocks with and without background records alternate. */
const BLOCK = 100;

/**
 * Scan → decision → committed journal entry (`Gate.handleScan`, Ed25519 credentials, the
 * cached store) while signed site records from another gate of the roster arrive at
 * `recordsPerSecond` into the same gate's `SiteShare`: real checks (`SiteTrust`), the
 * signature verified on the share's worker thread as in the daemon, real bounds, writes to
 * the same SQLite connection's replay and presence tables on the same event loop. Records come through the in-process
 * `FakeMqttConnection` (each payload parsed from its bytes as the MQTT layer does), from a
 * 1 ms timer that delivers whatever is due at the rate; scans come back to back, each
 * after a turn of the event loop, so a scan that falls behind a record waits for it.
 * A scan's time runs from when it was ready to its committed journal entry.
 *
 * Floor: the same kind of scans, in alternating blocks of the same run, with the records
 * stopped. Records are signed before each block (the sending gate signs on its own machine).
 */
export async function benchScanUnderSiteShare(
  storePath: string,
  options: { people: number; steps: number; credentials: number; recordsPerSecond: number },
): Promise<BenchResult> {
  const { db, close } = openBenchGateDatabase(storePath, "site-share");
  migrateSiteOutbox(db);
  const timers = new Set<NodeJS.Timeout>();
  let share: SiteShare | undefined;
  try {
    const clock = new FakeClock(BASE_MS);
    const { gate, config, allowlist, replay, presence } = gateOver(db, clock);

    // This gate (bench-1) and the gate whose records it hears (bench-2), as the app wires them.
    const own = testGateMember(config.gate);
    const other = testGateMember("bench-2");
    const roster = new Roster([own.member, other.member]);
    const logger = createLogger({ level: "silent" });
    const trust = new SiteTrust({
      roster: () => roster,
      signer: own.signer,
      freshnessMs: config.trust.freshness,
      widestFreshnessMs: config.trust.clockTolerance,
      acceptUnsigned: false,
      clock,
      logger,
    });
    const link = new FakeMqttConnection();
    share = new SiteShare(
      link.connection,
      gateTopics({ prefix: "passgate", site: SITE, gate: config.gate }),
      {
        gate: config.gate,
        outbox: new SiteOutbox(db),
        replay,
        presence,
        allowlist,
        trust,
        window: config.token.window,
        clockToleranceMs: config.trust.clockTolerance,
        passageHorizonMs: undefined,
        clock,
        logger,
      },
    );
    share.start();
    const sender = new SiteTrust({
      roster: () => roster,
      signer: other.signer,
      freshnessMs: config.trust.freshness,
      acceptUnsigned: false,
      clock,
      logger,
    });
    const otherTopics = gateTopics({ prefix: "passgate", site: SITE, gate: "bench-2" });

    // Scanned people and the people the other gate's records speak of never meet: a shared
    // pair for a scanned credential would rightly deny its scan as a replay.
    const next = random(3);
    const scanned = new Set<number>();
    while (scanned.size < options.people) {
      const id = 1 + Math.floor(next() * options.credentials);
      if (benchScheme(id) === "ed25519") scanned.add(id);
    }
    const people = [...scanned];
    const elsewhere: number[] = [];
    for (let id = 1; elsewhere.length < 50_000 && id <= options.credentials; id++)
      if (!scanned.has(id)) elsewhere.push(id);

    // Records half pairs, half passages, each of a credential or person of its own: every
    // one changes this gate's state, so every one must be taken.
    let made = 0;
    const queue: { topic: string; payload: Buffer }[] = [];
    const sign = () => {
      const id = elsewhere[made % elsewhere.length]!;
      const now = clock.now();
      const step = Math.floor(now / 30_000);
      const body =
        made % 2 === 0
          ? {
              gate: "bench-2",
              credential: String(id),
              step,
              expiresAt: replayExpiry(step, 30, config.token.window),
            }
          : {
              gate: "bench-2",
              person: `p-${id}`,
              zone: config.policy.zone,
              direction: made % 4 === 1 ? "in" : "out",
              at: now - 1_000,
            };
      made++;
      const topic = made % 2 === 1 ? otherTopics.sharedReplay : otherTopics.sharedPassage;
      const payload = sender.sign(topic, body);
      if (payload === undefined) throw new Error("bench sender has no key");
      queue.push({ topic, payload: Buffer.from(payload) });
    };
    let sent = 0;
    const recordTimes: number[] = [];
    /** From a record's bytes to it being applied or refused, its signature verified on the share's thread. */
    const settleTimes: number[] = [];
    const deliverOne = () => {
      const t0 = process.hrtime.bigint();
      const record = queue.shift();
      if (record === undefined) throw new Error("bench ran out of signed records: sign more per block");
      // As MqttConnection.subscribeParsed: bounded, parsed as JSON, a JSON object.
      const parsed = parsePayload(record.payload, "json", jsonObject);
      if ("dropped" in parsed) throw new Error(`bench record dropped: ${parsed.dropped}`);
      link.deliver(record.topic, parsed.ok);
      recordTimes.push(Number(process.hrtime.bigint() - t0) / 1000);
      sent++;
      void share!.settled().then(() => settleTimes.push(Number(process.hrtime.bigint() - t0) / 1000));
    };

    const baseStep = Math.floor(BASE_MS / 30_000);
    // Warm-up step: key cache, page cache, and the record path's code.
    clock.set(baseStep * 30_000 + 15_000);
    for (const id of people)
      gate.handleScan(encodeEd25519Token(String(id), baseStep, benchPhoneKey.privateKey), {
        id: "in",
        direction: "in",
      });
    for (let i = 0; i < 200; i++) sign();
    while (queue.length > 0) deliverOne();
    // Their signatures are verified on the share's worker thread: wait for them to be applied.
    await share.settled();

    const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
    const path: number[] = [];
    const floor: number[] = [];
    const handle: number[] = [];
    let behind = 0;
    let withRecordsMs = 0;
    const sentBefore = sent;
    recordTimes.length = 0;
    settleTimes.length = 0;
    const taken = () => share!.receivedCounts().replay + share!.receivedCounts().passage;
    const takenBefore = taken();
    if (takenBefore !== sentBefore)
      throw new Error(`bench warm-up records refused: ${takenBefore}/${sentBefore}`);
    let granted = 0;
    let blockIndex = 0;
    for (let s = 1; s <= options.steps; s++) {
      const step = baseStep + s;
      clock.set(step * 30_000 + 15_000);
      queue.length = 0;
      const tokens = people.map((id) => encodeEd25519Token(String(id), step, benchPhoneKey.privateKey));
      const reader = { id: "in", direction: s % 2 === 0 ? "in" : "out" } as const;
      for (let i = 0; i < tokens.length; i += BLOCK, blockIndex++) {
        const block = tokens.slice(i, i + BLOCK);
        const withRecords = blockIndex % 2 === 0;
        let ticker: NodeJS.Timeout | undefined;
        const started = performance.now();
        if (withRecords) {
          // Signed now, outside the timing: enough for the block at several times its pace.
          while (queue.length < 400) sign();
          // Owed over all the time with records so far, so the rate holds across blocks.
          ticker = setInterval(() => {
            const elapsed = withRecordsMs + performance.now() - started;
            const owed = Math.floor((elapsed * options.recordsPerSecond) / 1000);
            while (sent - sentBefore < owed) deliverOne();
          }, 1);
          timers.add(ticker);
        }
        for (const text of block) {
          const before = sent;
          const t0 = process.hrtime.bigint();
          await turn();
          const t1 = process.hrtime.bigint();
          const outcome = gate.handleScan(text, reader);
          const t2 = process.hrtime.bigint();
          if (outcome.decision.result === "granted") granted++;
          if (withRecords) {
            path.push(Number(t2 - t0) / 1000);
            handle.push(Number(t2 - t1) / 1000);
            if (sent !== before) behind++;
          } else floor.push(Number(t2 - t0) / 1000);
        }
        if (ticker !== undefined) {
          clearInterval(ticker);
          timers.delete(ticker);
          withRecordsMs += performance.now() - started;
        }
      }
    }
    await share.settled();
    const scans = path.length + floor.length;
    if (granted !== scans) throw new Error(`bench expected every scan granted, got ${granted}/${scans}`);
    const recordsSent = sent - sentBefore;
    const recordsAccepted = taken() - takenBefore;
    const refusals = [...trust.refusals()].map(([k, v]) => `${k}=${v}`);
    if (recordsAccepted !== recordsSent || refusals.length > 0)
      throw new Error(
        `bench expected every record accepted: ${recordsAccepted}/${recordsSent}, refused ${refusals.join(", ") || "none"}`,
      );
    const p99 = percentile(path, 0.99);
    const floorP99 = percentile(floor, 0.99);
    return {
      name: "scan_under_site_share",
      n: path.length,
      p50_us: percentile(path, 0.5),
      p99_us: p99,
      floor_p50_us: percentile(floor, 0.5),
      floor_p99_us: floorP99,
      ratio: p99 / floorP99,
      ratio_p50: percentile(path, 0.5) / percentile(floor, 0.5),
      target_p99_us: 1000,
      target: "p99_us < 1000",
      credentials: options.credentials,
      scheme: "ed25519",
      handle_p50_us: percentile(handle, 0.5),
      handle_p99_us: percentile(handle, 0.99),
      scans_behind_record: behind,
      records_sent: recordsSent,
      records_accepted: recordsAccepted,
      record_p50_us: percentile(recordTimes, 0.5),
      record_p99_us: percentile(recordTimes, 0.99),
      record_settled_p50_us: percentile(settleTimes, 0.5),
      record_settled_p99_us: percentile(settleTimes, 0.99),
      records_per_s: Math.round((recordsSent * 1000) / withRecordsMs),
    };
  } finally {
    for (const t of timers) clearInterval(t);
    await share?.stop();
    await close();
  }
}

import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import type { Config } from "../config/schema.js";
import { applyAllowlistBody } from "../daemon/allowlist/apply-body.js";
import { SqliteAllowlistStore } from "../daemon/allowlist/sqlite-allowlist-store.js";
import {
  chunked,
  EXAMPLE_TEXT,
  EXAMPLE_TRUST,
  putLine,
  registryCredential,
  signedBody,
} from "../daemon/allowlist/testing/test-bodies.js";
import type { ScanOutcome } from "../daemon/gate/gate.js";
import { freeLoopbackPort, TestMosquitto, waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { systemClock } from "../platform/clock.js";
import { openDatabase } from "../platform/database/database.js";
import { createLogger } from "../platform/log/logger.js";
import { overwritePages } from "../platform/testing/overwrite-pages.js";
import { type RunningDaemon, startDaemon } from "./gate-app.js";
import { openGateDatabase } from "./gate-database.js";
import { exampleGate, nowStep, SITE, staffToken, watchTopics } from "./testing/mqtt-gate-fixture.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Fillers beside the example's four: enough pages (about 200) that six random ones land mostly in the allowlist, as on a real gate. */
const FILLERS = 5_000;

/** A gate (example allowlist plus fillers, an HTTP endpoint, the test broker) whose database is closed and whole. */
async function bigGate(broker: TestMosquitto, gate: string): Promise<{ config: Config; port: number }> {
  const port = await freeLoopbackPort();
  const { config } = await exampleGate({
    gate,
    http: { listen: `127.0.0.1:${port}` },
    mqtt: { url: broker.url, reconnectMin: "100ms", reconnectMax: "400ms" },
    relays: [{ id: "arm", reader: "in", driver: { type: "log" } }],
  });
  const example = EXAMPLE_TEXT.trim().split("\n").slice(1, -1);
  const fillers = Array.from({ length: FILLERS }, (_, i) => putLine(registryCredential(100_000 + i)));
  const db = openGateDatabase(config.storage, "write");
  try {
    const body = signedBody({ to: 8 }, [...example, ...fillers]);
    const applied = await applyAllowlistBody(SqliteAllowlistStore.open(db), chunked(body, 65_536), {
      site: SITE,
      trustedKeys: EXAMPLE_TRUST,
      now: Date.now(),
    });
    if (!applied.ok) throw new Error(applied.message);
    // Fold the WAL into the file: the pages overwritten below are then the only copy.
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
  return { config, port };
}

/** The daemon with a stdin for scans, a log the test reads and the decisions it made. */
async function run(config: Config): Promise<{
  daemon: RunningDaemon;
  scan(text: string): void;
  logs: Record<string, unknown>[];
  outcomes: ScanOutcome[];
}> {
  const logs: Record<string, unknown>[] = [];
  const outcomes: ScanOutcome[] = [];
  const stdin = new PassThrough();
  const daemon = await startDaemon(config, {
    stdin,
    logger: createLogger({
      level: "info",
      destination: { write: (line: string) => logs.push(JSON.parse(line) as Record<string, unknown>) },
    }),
    clock: systemClock,
    onDecision: (outcome) => outcomes.push(outcome),
  });
  cleanups.push(async () => {
    stdin.end();
    await daemon.stop();
  });
  return { daemon, scan: (text) => stdin.write(`${text}\n`), logs, outcomes };
}

async function get(port: number, path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

const damagedLines = (logs: Record<string, unknown>[]) =>
  logs.filter((l) => String(l.msg).startsWith("the gate's database is damaged"));

describe("a damaged gate database", { timeout: 60_000 }, () => {
  it("six random pages overwritten: found at start, the gate runs denying database_corrupt, alarms once, /health and /metrics say so", async () => {
    const broker = await TestMosquitto.start();
    cleanups.push(() => broker.close());
    const { config, port } = await bigGate(broker, "corrupt-1");
    const pages = overwritePages(config.storage.path, 6, 14);
    expect(pages).toHaveLength(6);
    const watched = await watchTopics(broker.url, `passgate/${SITE}/corrupt-1/event`);
    cleanups.push(() => watched.client.endAsync());

    const gate = await run(config);
    const alarm = () =>
      watched.messages.map((m) => JSON.parse(m.text)).find((e) => e.result === "database_corrupt");
    await waitUntil(() => alarm() !== undefined, "the database_corrupt alarm on the broker");
    expect(alarm()).toMatchObject({ type: "alarm", gate: "corrupt-1", where: "quick_check at start" });

    // A valid staff code, twice: denied with the reason, not internal_error, and not granted.
    const step = nowStep();
    gate.scan(staffToken(step));
    gate.scan(staffToken(step + 1));
    await waitUntil(() => gate.outcomes.length === 2, "two decisions");
    for (const o of gate.outcomes)
      expect(o.decision).toMatchObject({ result: "denied", reason: "database_corrupt" });

    const health = await get(port, "/health");
    expect(health.status).toBe(503);
    expect(JSON.parse(health.body)).toEqual({ status: "failing", failing: ["database_corrupt"] });
    expect((await get(port, "/metrics")).body).toMatch(/^passgate_database_corrupt 1$/m);
    expect((await get(port, "/metrics")).body).toMatch(
      /^passgate_decisions_total\{result="denied",reason="database_corrupt",reader="in"\} 2$/m,
    );

    // Journaled too (for this seed the noise missed the journal's pages), with the scans' denials after it.
    const journal = openDatabase(config.storage.path, { readonly: true });
    try {
      const rows = journal
        .prepare("SELECT kind, reason, data FROM journal ORDER BY seq DESC LIMIT 3")
        .all() as { kind: string; reason: string; data: string }[];
      expect(rows.map((r) => `${r.kind}:${r.reason}`)).toEqual([
        "decision:database_corrupt",
        "decision:database_corrupt",
        "alarm:database_corrupt",
      ]);
      expect(JSON.parse(rows[2]?.data ?? "{}")).toMatchObject({ where: "quick_check at start" });
    } finally {
      journal.close();
    }

    // One error line for the damage, none per scan; it names the file.
    expect(damagedLines(gate.logs)).toHaveLength(1);
    expect(damagedLines(gate.logs)[0]).toMatchObject({ level: 50, path: config.storage.path });
    expect(gate.logs.filter((l) => l.level === 50)).toHaveLength(1);
  });

  it("a whole file: quick_check ok at start, /metrics 0, /health 200", async () => {
    const broker = await TestMosquitto.start();
    cleanups.push(() => broker.close());
    const { config, port } = await bigGate(broker, "whole-1");
    const gate = await run(config);
    expect(gate.logs.some((l) => l.msg === "database quick_check ok" && typeof l.ms === "number")).toBe(true);
    expect((await get(port, "/health")).status).toBe(200);
    expect((await get(port, "/metrics")).body).toMatch(/^passgate_database_corrupt 0$/m);
    gate.scan(staffToken(nowStep()));
    await waitUntil(() => gate.outcomes.length === 1, "a decision");
    expect(gate.outcomes[0]?.decision).toMatchObject({ result: "granted", reason: "ok" });
  });

  it("damage met while running (SQLITE_CORRUPT on a lookup): noticed on first use, one log line and one alarm, every scan after denied", async () => {
    const broker = await TestMosquitto.start();
    cleanups.push(() => broker.close());
    const { config, port } = await bigGate(broker, "corrupt-2");
    const watched = await watchTopics(broker.url, `passgate/${SITE}/corrupt-2/event`);
    cleanups.push(() => watched.client.endAsync());
    const gate = await run(config);
    expect((await get(port, "/health")).status).toBe(200);

    // The storage fails under the running gate: every page holding credential 42's record goes to noise.
    const overwritten = overwriteRecordPages(config.storage.path, "p-0042");
    expect(overwritten).toBeGreaterThan(0);
    const step = nowStep();
    gate.scan(staffToken(step));
    gate.scan(staffToken(step + 1));
    await waitUntil(() => gate.outcomes.length === 2, "two decisions");
    for (const o of gate.outcomes)
      expect(o.decision).toMatchObject({ result: "denied", reason: "database_corrupt" });
    const alarms = () =>
      watched.messages.map((m) => JSON.parse(m.text)).filter((e) => e.result === "database_corrupt");
    await waitUntil(() => alarms().length === 1, "the alarm");
    expect(alarms()[0]).toMatchObject({ type: "alarm", where: "decision" });
    expect(damagedLines(gate.logs)).toHaveLength(1);
    expect(JSON.parse((await get(port, "/health")).body)).toEqual({
      status: "failing",
      failing: ["database_corrupt"],
    });
    expect((await get(port, "/metrics")).body).toMatch(/^passgate_database_corrupt 1$/m);
  });
});

/**
 * Overwrites in place (the running gate has the file mapped: it is never truncated) every
 * page of the SQLite file that holds `marker`; returns how many.
 */
function overwriteRecordPages(path: string, marker: string): number {
  const file = readFileSync(path);
  const pageSize = file.readUInt16BE(16);
  const fd = openSync(path, "r+");
  let count = 0;
  try {
    for (let at = pageSize; at < file.length; at += pageSize) {
      if (!file.subarray(at, at + pageSize).includes(marker)) continue;
      writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, at);
      count++;
    }
  } finally {
    closeSync(fd);
  }
  return count;
}

/**
 * Site state that survives a gate's restart, end to end: two gates of one site, each a real
 * `passgate run` child process with a serial scanner on a socat pty and a `log` relay (no
 * board: a grant opens while the broker is away), sharing accepted codes and passages over
 * a real mosquitto that the test stops and starts again (no persistence, as a crashed broker
 * comes back). A gate is killed with SIGKILL, as a power cut or the OOM killer would, and
 * started again on its database. What is asserted is what a person at the other gate meets:
 * the screenshot of a code used at one gate is refused at the other.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestMosquitto, waitUntil } from "../../daemon/mqtt/testing/mosquitto.js";
import { openDatabase } from "../../platform/database/database.js";
import type { SocatPty } from "../../sim/scanners/socat-pty.js";
import { type DemoPerson, demoPopulation } from "./demo-population.js";
import { leaked, nowStep, phoneCode, plugInScanner, scan, startGate, startSiteRegistry } from "./e2e-site.js";
import type { GateProcess } from "./gate-process.js";

let broker: TestMosquitto;
let site: Awaited<ReturnType<typeof startSiteRegistry>>;
let people: DemoPerson[];
const gates: Record<"a" | "b", { gate: GateProcess; pty: SocatPty }> = {} as never;
/** Every code shown at either gate, to be searched for in their logs. */
const shown: string[] = [];

const person = (id: string): DemoPerson => {
  const p = people.find((x) => x.credential.id === id);
  if (p === undefined) throw new Error(`no demo person ${id}`);
  return p;
};
const show = (code: string): string => {
  shown.push(code);
  return code;
};

/** Reads the gate's own database, as `passgate` commands do beside a running gate. */
function query<T>(g: GateProcess, sql: string, ...params: unknown[]): T | undefined {
  const db = openDatabase(join(g.dir, "gate.db"), { readonly: true });
  try {
    return db.prepare(sql).get(...params) as T | undefined;
  } finally {
    db.close();
  }
}
const knowsPair = (g: GateProcess, credential: string, step: number) =>
  query(g, "SELECT 1 AS x FROM replay WHERE credential = ? AND step = ?", credential, step) !== undefined;
const knowsPassage = (g: GateProcess, personId: string, after: number) =>
  query(g, "SELECT 1 AS x FROM presence WHERE person = ? AND at >= ?", personId, after) !== undefined;

/** Whether `g`'s outbox holds records of each of these kinds, sent or not. */
const outboxHolds = (g: GateProcess, kinds: readonly string[]) =>
  kinds.every((kind) => query(g, "SELECT 1 AS x FROM site_outbox WHERE kind = ?", kind) !== undefined);

/** The next decision `g` logs after scanning `code`. */
async function scanAt(which: "a" | "b", code: string) {
  const { gate, pty } = gates[which];
  const n = gate.decisions().length + 1;
  await scan(pty, code);
  return gate.decision(n, 30_000);
}

/** Stops the broker and waits until both gates have seen it go (their reconnect refused). */
async function brokerDown(): Promise<void> {
  const downAt = Date.now();
  await broker.down();
  for (const { gate } of Object.values(gates))
    await gate.waitForLog((l) => l.msg === "mqtt error" && l.at >= downAt, "a refused reconnect", 30_000);
}

/** Starts the broker again and waits until both gates are connected to it. */
async function brokerUp(): Promise<void> {
  const upAt = Date.now();
  await broker.up();
  for (const { gate } of Object.values(gates))
    await gate.waitForLog((l) => l.msg === "mqtt connected" && l.at >= upAt, "the reconnect", 30_000);
}

/** Kills gate `which` with SIGKILL and starts it again on its database and scanner. */
async function killAndRestart(which: "a" | "b"): Promise<void> {
  const g = gates[which];
  const exit = await g.gate.kill();
  expect(exit.signal).toBe("SIGKILL");
  // The scanner's pty is plugged in again at the same path, as after a power cut.
  await g.pty.unplug();
  g.pty = await plugInScanner(g.gate.dir);
  const startedAt = Date.now();
  // Generous: a process start on a loaded 2-core machine has taken over 20 s.
  await g.gate.start(undefined, 60_000);
  await g.gate.waitForLog(
    (l) => l.msg === "reader connected" && l.at >= startedAt,
    "the reader open again",
    30_000,
  );
}

beforeAll(async () => {
  broker = await TestMosquitto.start();
  site = await startSiteRegistry();
  people = demoPopulation(Date.now());
  site.registry.publish(people.map((p) => ({ type: "put" as const, credential: p.credential })));
  const options = (gate: string) => ({
    gate,
    brokerUrl: broker.url,
    registry: site,
    relay: { type: "log" },
    policy: { antiPassback: { mode: "hard" } },
  });
  const [a, b] = await Promise.all([startGate(options("gate-a")), startGate(options("gate-b"))]);
  gates.a = a;
  gates.b = b;
}, 120_000);

afterAll(async () => {
  for (const g of Object.values(gates)) {
    await g?.gate.stop();
    await g?.pty.unplug();
  }
  await site?.close();
  await broker?.close();
  for (const g of Object.values(gates)) g?.gate.removeFiles();
});

describe("site state across a gate's restart", () => {
  it("refuses at gate B the screenshot of a code granted at gate A, which was killed and restarted while the broker was down", async () => {
    await brokerDown();
    const step = nowStep();
    const grantedAt = Date.now();
    const code = show(phoneCode(person("1001"), step));
    expect(await scanAt("a", code)).toMatchObject({ result: "granted", reason: "ok", credential: "1001" });

    // The kill comes once the gate has put both records in its outbox: each gets its own commit
    // just after the grant's (docs/storage.md), and this test is about what the gate recorded.
    await waitUntil(
      () => outboxHolds(gates.a.gate, ["passage", "replay"]),
      "gate A's outbox to hold both records",
      30_000,
    );
    await killAndRestart("a");
    expect(knowsPair(gates.b.gate, "1001", step)).toBe(false);
    await brokerUp();

    await waitUntil(() => knowsPair(gates.b.gate, "1001", step), "gate B to learn the pair", 30_000);
    expect(await scanAt("b", code)).toMatchObject({
      result: "denied",
      reason: "replayed",
      credential: "1001",
    });
    // And the passage: a fresh code of the same person is refused by anti-passback.
    await waitUntil(
      () => knowsPassage(gates.b.gate, "p-1001", grantedAt),
      "gate B to learn the passage",
      30_000,
    );
    expect(await scanAt("b", show(phoneCode(person("1001"), step + 1)))).toMatchObject({
      result: "denied",
      reason: "anti_passback",
    });
  }, 180_000);

  it("refuses it at gate B when gate B was the one killed and restarted during the outage", async () => {
    await brokerDown();
    const step = nowStep();
    const grantedAt = Date.now();
    const code = show(phoneCode(person("42"), step));
    expect(await scanAt("a", code)).toMatchObject({ result: "granted", reason: "ok", credential: "42" });

    await killAndRestart("b");
    await brokerUp();

    await waitUntil(() => knowsPair(gates.b.gate, "42", step), "gate B to catch up on the pair", 30_000);
    expect(await scanAt("b", code)).toMatchObject({ result: "denied", reason: "replayed", credential: "42" });
    await waitUntil(
      () => knowsPassage(gates.b.gate, "p-0042", grantedAt),
      "gate B to learn the passage",
      30_000,
    );
    expect(await scanAt("b", show(phoneCode(person("42"), step + 1)))).toMatchObject({
      result: "denied",
      reason: "anti_passback",
    });
  }, 180_000);

  it("catches gate B up, on its request, on what gate A shared while B was down and the broker up", async () => {
    await gates.b.gate.kill();
    const step = nowStep();
    const grantedAt = Date.now();
    const code = show(phoneCode(person("2001"), step));
    expect(await scanAt("a", code)).toMatchObject({ result: "granted", reason: "ok", credential: "2001" });
    // The broker took gate A's records: its outbox is empty, nothing of it will be resent.
    await waitUntil(
      () => query(gates.a.gate, "SELECT 1 AS x FROM site_outbox WHERE acked = 0") === undefined,
      "gate A's outbox to be acknowledged",
      30_000,
    );

    await killAndRestart("b");
    await gates.a.gate.waitForLog(
      (l) => l.msg === "answering a catch-up request" && l.at >= grantedAt,
      "gate A to answer gate B's catch-up request",
      30_000,
    );
    await waitUntil(() => knowsPair(gates.b.gate, "2001", step), "gate B to learn the pair", 30_000);
    await waitUntil(
      () => knowsPassage(gates.b.gate, "p-2001", grantedAt),
      "gate B to learn the passage",
      30_000,
    );
    expect(await scanAt("b", code)).toMatchObject({
      result: "denied",
      reason: "replayed",
      credential: "2001",
    });
    // A fresh code of the same person is refused too: they entered at gate A and never left.
    expect(await scanAt("b", show(phoneCode(person("2001"), step + 1)))).toMatchObject({
      result: "denied",
      reason: "anti_passback",
      credential: "2001",
    });
  }, 180_000);

  it("never writes a shown code or the registry bearer token to either gate's output", () => {
    expect(shown.length).toBeGreaterThanOrEqual(4);
    for (const { gate } of Object.values(gates)) expect(leaked(gate, [...shown, site.bearer])).toEqual([]);
  });
});

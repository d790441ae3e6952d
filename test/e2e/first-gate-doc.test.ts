import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestMosquitto, waitUntil } from "../../daemon/mqtt/testing/mosquitto.js";
import { type CliProcess, startCli } from "../cli-child.js";
import { runCliInProcess } from "../cli-harness.js";
import { sharedSpec } from "../run-cli.js";

/**
 * docs/operations.md "First gate in ten minutes", on a lab bench as the doc's bench
 * variant says: no registry, the spec's signed example allowlist, `passgate sim relay`
 * for the board and `passgate sim scanner` for the scanner. Each documented command, in
 * the doc's order, must succeed; then a current code of the example's credential 42,
 * scanned, must open the relay.
 */

/** RFC 8032 test key 2: the key that signs ../shared/spec/allowlist-example.ndjson. */
const EXAMPLE_KEY = "test-2026=PUAXw-hDiVqStwqnTRt-vJyYLM8uxJaMwM1V8Sr0Zgw";
/** Credential 42 of the example allowlist (staff, active): its TOTP secret. */
const CREDENTIAL_42_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

async function stop(p: CliProcess | undefined): Promise<void> {
  if (p === undefined || p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((resolve) => p.child.once("exit", resolve));
  p.child.kill("SIGTERM");
  await exited;
}

const dir = mkdtempSync(join(tmpdir(), "passgate-first-gate-"));
const configFile = join(dir, "passgate.yaml");
const scannerPath = join(dir, "scanner");
let broker: TestMosquitto;
let relay: CliProcess | undefined;
let scanner: CliProcess | undefined;
let gate: CliProcess | undefined;

beforeAll(async () => {
  broker = await TestMosquitto.start();
});
afterAll(async () => {
  await stop(gate);
  await stop(scanner);
  await stop(relay);
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One documented command, as the service user's alias `pg` runs it: must exit 0. */
async function pg(...args: string[]) {
  const result = await runCliInProcess(["--config", configFile, ...args]);
  expect(result.code, `passgate ${args.join(" ")}\n${result.stdout}${result.stderr}`).toBe(0);
  return result;
}

describe("First gate in ten minutes, on a lab bench without a registry", () => {
  it("works step by step, and a valid example pass opens the turnstile", { timeout: 90_000 }, async () => {
    // The bench kit: an emulated Tasmota board and a serial scanner on a pty.
    relay = startCli(["sim", "relay", "--kind", "tasmota", "--topic", "turnstile-1", "--broker", broker.url]);
    scanner = startCli(["sim", "scanner", "--pty", scannerPath]);
    await waitUntil(() => relay?.output().includes("online") === true, "the relay emulator online", 15_000);
    await waitUntil(() => scanner?.output().includes("scanner on") === true, "the scanner pty", 15_000);

    // 3. Write the config: no --registry, the key that signs the example allowlist.
    const init = await pg(
      "init",
      "--site",
      "demo-campus",
      "--gate",
      "main-1",
      "--timezone",
      "Europe/Moscow",
      "--storage",
      join(dir, "passgate.db"),
      "--trusted-key",
      EXAMPLE_KEY,
      "--broker",
      broker.url,
      "--reader",
      `in=serial:${scannerPath}`,
      "--relay-kind",
      "tasmota",
      "--relay-topic",
      "turnstile-1",
    );
    expect(init.stdout).toContain("site demo-campus, gate main-1");
    await pg("config", "check");
    // 4. Find the scanner.
    await pg("reader", "list", "--present");
    // 7. Test the relay: the emulated board confirms the pulse.
    const relayTest = await pg("relay", "test", "turnstile");
    expect(relayTest.stdout).toMatch(/relay turnstile: opened, confirmed by the board in \d+ ms/);
    await waitUntil(
      () => relay?.output().includes("open 1000 ms") === true,
      "the test pulse at the board",
      5_000,
    );
    // 8. Load the allowlist: the spec's signed example.
    const imported = await pg("allowlist", "import", join(sharedSpec, "allowlist-example.ndjson"));
    expect(imported.stdout).toContain("imported snapshot v7 for site demo-campus: 4 credentials");
    const stats = await pg("allowlist", "stats");
    expect(stats.stdout).toMatch(/count\s+4 credentials/);
    // 9. Check everything: no check fails (the bench's pty needs no udev rule).
    const doctor = await pg("doctor");
    expect(doctor.stdout).not.toMatch(/^FAIL/m);

    // 10. Start the gate (the service), 11. check it and scan a pass.
    gate = startCli(["--config", configFile, "run"]);
    await waitUntil(
      () => gate?.output().includes("reader connected") === true,
      "the gate to open its reader",
      20_000,
    );
    await pg("status");
    const phone = await runCliInProcess([
      "sim",
      "phone",
      "--credential",
      "42",
      "--totp-secret",
      CREDENTIAL_42_SECRET,
    ]);
    expect(phone.code).toBe(0);
    const opensBefore = relay.output().split("open 1000 ms").length;
    scanner.child.stdin?.write(`${phone.stdout.trim()}\n`);
    await waitUntil(() => scanner?.output().includes("scan 1:") === true, "the scan typed", 5_000);
    await waitUntil(
      () => (relay?.output().split("open 1000 ms").length ?? 0) > opensBefore,
      "the grant's pulse at the board",
      10_000,
    );
    const events = await pg("events", "tail", "--json");
    const decisions = events.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((e) => e.credential === "42");
    expect(decisions).toEqual([
      expect.objectContaining({ result: "granted", person: "p-0042", reader: "reader-in", direction: "in" }),
    ]);
  });
});

/**
 * A revocation travelling the whole way, registry to turnstile, through a real
 * `passgate run` child process:
 *
 * - the simulated registry over real HTTP publishes a signed delta that revokes a batch
 *   of cards, and announces it on the site broker as the registry does (registry-sync.md,
 *   "Push"): the gate polls only hourly, so only the push can bring it in time;
 * - a real mosquitto carries that push to the gate;
 * - a socat pty is the scanner: fresh codes arrive every 50 ms across a real tty, as a
 *   queue of people would scan, so the first denied scan bounds when the change took effect;
 * - an emulated Shelly Gen2 board is the relay, so grants have a relay to open.
 */
import { generateKeyPairSync } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TestMosquitto, waitUntil } from "../../daemon/mqtt/testing/mosquitto.js";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import { ShellyGen2Emulator } from "../../sim/devices/shelly-gen2-emulator.js";
import type { RegistryServer } from "../../sim/registry/registry-server.js";
import type { AllowlistRecord } from "../../sim/registry/signed-allowlist.js";
import type { SocatPty } from "../../sim/scanners/socat-pty.js";
import {
  batchCode,
  leaked,
  nowStep,
  registryPublisher,
  scan,
  startGate,
  startSiteRegistry,
} from "./e2e-site.js";
import type { GateProcess } from "./gate-process.js";

/** Cards of one batch: one phone key, distinct ids, so each scan below is a fresh code. */
const CARDS = 80;
const SCAN_EVERY_MS = 50;
/** Cards scanned before the push, to show they were valid until then. */
const BEFORE_PUSH = 4;

const phone = generateKeyPairSync("ed25519");
const publicKey = publicKeyText(phone.publicKey);
const cardIds = Array.from({ length: CARDS }, (_, i) => String(5001 + i));
const card = (id: string, status: "active" | "revoked"): AllowlistRecord => ({
  type: "put",
  credential: {
    id,
    person: `p-${id}`,
    roles: ["student"],
    status,
    scheme: "ed25519",
    ed25519: { publicKey, period: 30 },
  },
});

let broker: TestMosquitto;
let site: Awaited<ReturnType<typeof startSiteRegistry>>;
let registry: RegistryServer;
let bearer: string;
let shelly: ShellyGen2Emulator;
let pty: SocatPty;
let gate: GateProcess;
let publisher: Awaited<ReturnType<typeof registryPublisher>>;

beforeAll(async () => {
  broker = await TestMosquitto.start();
  site = await startSiteRegistry();
  registry = site.registry;
  bearer = site.bearer;
  registry.publish(cardIds.map((id) => card(id, "active")));
  shelly = new ShellyGen2Emulator("shellyplus1-e2e");
  await shelly.start(broker.url);
  publisher = await registryPublisher(broker.url);
  ({ gate, pty } = await startGate({
    gate: "gate-r",
    brokerUrl: broker.url,
    registry: site,
    relay: { type: "shelly-gen2", id: "shellyplus1-e2e", channel: 0 },
    pulse: "300ms",
  }));
}, 30_000);

afterAll(async () => {
  await gate?.stop();
  await pty?.unplug();
  await Promise.all([shelly?.stop(), publisher?.client.endAsync()]);
  await site?.close();
  await broker?.close();
  gate?.removeFiles();
});

describe("a revocation pushed by the registry", () => {
  it("denies the revoked cards within a second of the push", async () => {
    const step = nowStep();
    const shown: string[] = [];
    /** Scan time (epoch ms) per card id. */
    const scannedAt = new Map<string, number>();
    let next = 0;
    const scanNext = async () => {
      const id = cardIds[next++];
      if (id === undefined) throw new Error("ran out of cards before the revocation took effect");
      const code = batchCode(id, step, phone.privateKey);
      shown.push(code);
      scannedAt.set(id, Date.now());
      await scan(pty, code);
    };
    const reasonOf = (id: string) => gate.decisions().find((d) => d.credential === id)?.reason;
    const revokedSeen = () => gate.decisions().some((d) => d.reason === "revoked");

    for (let i = 0; i < BEFORE_PUSH; i++) {
      await scanNext();
      await new Promise((resolve) => setTimeout(resolve, SCAN_EVERY_MS));
    }
    const version = registry.publish(cardIds.map((id) => card(id, "revoked")));
    const pulls = registry.requests.length;
    const pushedAt = Date.now();
    await publisher.push(version);
    while (!revokedSeen() && Date.now() - pushedAt < 3000) {
      await scanNext();
      await new Promise((resolve) => setTimeout(resolve, SCAN_EVERY_MS));
    }
    const scanned = cardIds.slice(0, next);
    await waitUntil(
      () => scanned.every((id) => reasonOf(id) !== undefined),
      "a decision for every scan",
      3000,
    );

    const reasons = scanned.map((id) => reasonOf(id));
    expect(reasons.slice(0, BEFORE_PUSH)).toEqual(Array(BEFORE_PUSH).fill("ok"));
    const firstRevoked = reasons.indexOf("revoked");
    expect(firstRevoked, reasons.join(",")).toBeGreaterThanOrEqual(BEFORE_PUSH);
    // Once in force it stays in force: every later scan is denied too, and nothing else denies.
    expect(
      reasons.slice(firstRevoked).every((r) => r === "revoked"),
      reasons.join(","),
    ).toBe(true);
    expect(
      reasons.slice(0, firstRevoked).every((r) => r === "ok"),
      reasons.join(","),
    ).toBe(true);

    const firstId = scanned[firstRevoked] as string;
    // The allowlist's pull: the roster pull that follows the first sync may still land after `pulls`.
    const pull = registry.requests
      .slice(pulls)
      .find((r) => r.method === "GET" && r.path.endsWith("/allowlist"));
    expect(pull).toMatchObject({ since: version - 1, authorized: true });
    const applied = gate.logs.find((l) => l.msg === `allowlist delta v${version} applied`);
    expect(applied).toBeDefined();
    // A scan is written before the gate reads and decides it, so the time its denial is
    // logged (as it reaches this process) bounds from above when the revocation took effect.
    const deniedAt = gate.decisions().find((d) => d.credential === firstId)?.at ?? Number.POSITIVE_INFINITY;
    const effectiveMs = deniedAt - pushedAt;
    const lastGrantId = scanned[firstRevoked - 1] as string;
    const since = (at: number | undefined) => `${(at ?? Number.NaN) - pushedAt} ms`;
    console.info(
      `revocation after the push: delta applied (logged) ${since(applied?.at)}, ` +
        `first denied revoked: scanned ${since(scannedAt.get(firstId))}, decided (logged) ${effectiveMs} ms; ` +
        `last grant scanned ${since(scannedAt.get(lastGrantId))} (scans every ${SCAN_EVERY_MS} ms)`,
    );
    expect(effectiveMs).toBeLessThan(1000);
    expect(leaked(gate, [...shown, bearer])).toEqual([]);
  });
});

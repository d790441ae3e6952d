import { verify as cryptoVerify } from "node:crypto";
import { gateTopics } from "../daemon/mqtt/topics.js";
import { Roster } from "../daemon/trust/roster.js";
import type { MemberKind } from "../daemon/trust/roster-member.js";
import { type SignedMessage, signingInput, signMessage } from "../daemon/trust/signed-message.js";
import { SiteTrust } from "../daemon/trust/site-trust.js";
import { testGateMember, testOperatorMember } from "../daemon/trust/testing/test-members.js";
import { createLogger } from "../platform/log/logger.js";
import { FakeClock } from "../platform/testing/fake-clock.js";
import { type BenchResult, percentile } from "./bench-result.js";

const SITE = "bench-campus";
const BASE_MS = Date.parse("2026-12-01T09:00:00Z");
/** The stream's pace: one message every 5 ms of the gate's clock (200/s). */
const EVERY_MS = 5;
/** How late a message reaches the gate after its signer stamped it (broker transit). */
const TRANSIT_MS = 3;
/** As `trust.freshness` and `trust.clockTolerance` default. */
const FRESHNESS_MS = 30_000;
const CLOCK_TOLERANCE_MS = 120_000;

interface Delivery {
  readonly topic: string;
  readonly kinds: readonly MemberKind[];
  readonly kind: string;
  readonly freshnessMs: number;
  /** When it reaches the gate, by the gate's clock. */
  readonly now: number;
  /** The payload as the MQTT layer hands it over: parsed JSON, an object of its own. */
  readonly payload: unknown;
  /** For the floor: the bytes that were signed, and the signature. */
  readonly signed: Buffer;
  readonly signature: Buffer;
  readonly bytes: number;
}

/**
 * The cost of acting on one signed message as the gate does: `SiteTrust.check` on the
 * parsed payload (envelope, roster lookup, kind, freshness, RFC 8785 canonical JSON,
 * Ed25519 verify with the member's cached key, the nonce window), on a stream of site
 * records (replay pairs and passages, signed by another gate of the roster) and operator
 * requests, each with its own nonce, at 200/s of the gate's (fake) clock. The floor, in
 * alternating blocks of the same run: one bare node:crypto Ed25519 verify of the same
 * signed bytes with the same cached key.
 */
export async function benchSignedMessageVerify(n: number): Promise<BenchResult> {
  const gateA = testGateMember("bench-2");
  const desk = testOperatorMember("desk", ["admin"]);
  const own = testGateMember("bench-1");
  const roster = new Roster([own.member, gateA.member, desk.member]);
  const clock = new FakeClock(BASE_MS);
  // As app/components/trust.ts builds it: the nonce window spans the widest bound (records).
  const trust = new SiteTrust({
    roster: () => roster,
    signer: own.signer,
    freshnessMs: FRESHNESS_MS,
    widestFreshnessMs: CLOCK_TOLERANCE_MS,
    acceptUnsigned: false,
    clock,
    logger: createLogger({ level: "silent" }),
  });
  const senderTopics = gateTopics({ prefix: "passgate", site: SITE, gate: "bench-2" });
  const ownTopics = gateTopics({ prefix: "passgate", site: SITE, gate: "bench-1" });
  const recordFreshness = Math.max(CLOCK_TOLERANCE_MS, FRESHNESS_MS);

  const warmUp = 1_000;
  const total = warmUp + n;
  const deliveries: Delivery[] = [];
  for (let i = 0; i < total; i++) {
    const now = BASE_MS + i * EVERY_MS;
    const at = now - TRANSIT_MS;
    const step = Math.floor(at / 30_000);
    // Four in ten replay pairs, four in ten passages, two in ten operator requests.
    const which = i % 10;
    let topic: string;
    let body: Record<string, unknown>;
    let kinds: readonly MemberKind[];
    let kind: string;
    let signer = gateA.signer;
    let freshnessMs = recordFreshness;
    if (which < 4) {
      topic = senderTopics.sharedReplay;
      kind = "shared-replay";
      kinds = ["gate"];
      const credential = String(1 + ((i * 7919) % 1_000_000));
      body = { gate: "bench-2", credential, step, expiresAt: (step + 2) * 30_000 };
    } else if (which < 8) {
      topic = senderTopics.sharedPassage;
      kind = "shared-passage";
      kinds = ["gate"];
      const person = `p-${1 + ((i * 104_729) % 1_000_000)}`;
      body = { gate: "bench-2", person, zone: "campus", direction: i % 2 === 0 ? "in" : "out", at };
    } else {
      const command = which === 8 ? "pulse" : "mode";
      topic = ownTopics.request(command);
      kind = `request-${command}`;
      kinds = ["operator"];
      signer = desk.signer;
      freshnessMs = FRESHNESS_MS;
      body =
        command === "pulse"
          ? { relay: "turnstile", ms: 1_000, transaction: `t-${i}` }
          : { mode: "normal", transaction: `t-${i}` };
    }
    const message: SignedMessage = signMessage({
      topic,
      signer: signer.id,
      privateKey: signer.privateKey,
      body,
      at,
    });
    const text = JSON.stringify(message);
    deliveries.push({
      topic,
      kinds,
      kind,
      freshnessMs,
      now,
      payload: JSON.parse(text),
      signed: signingInput(topic, message),
      signature: Buffer.from(message.sig, "base64url"),
      bytes: Buffer.byteLength(text),
    });
  }

  const keys = new Map([
    ["gate:bench-2", roster.get("gate:bench-2")?.key],
    ["operator:desk", roster.get("operator:desk")?.key],
  ]);
  const keyOf = (d: Delivery) => keys.get(d.kinds[0] === "gate" ? "gate:bench-2" : "operator:desk")!;

  let refused = 0;
  const checkOnce = (d: Delivery): number => {
    clock.set(d.now);
    const t0 = process.hrtime.bigint();
    const verdict = trust.check(d.topic, d.payload, d.kinds, d.kind, d.freshnessMs);
    const t1 = process.hrtime.bigint();
    if (!verdict.ok) refused++;
    return Number(t1 - t0) / 1000;
  };
  let floorFailed = 0;
  const floorOnce = (d: Delivery): number => {
    const key = keyOf(d);
    const t0 = process.hrtime.bigint();
    const ok = cryptoVerify(null, d.signed, key, d.signature);
    const t1 = process.hrtime.bigint();
    if (!ok) floorFailed++;
    return Number(t1 - t0) / 1000;
  };

  // Warm-up: JIT, the key's native state, the nonce window's map.
  for (const d of deliveries.slice(0, warmUp)) {
    checkOnce(d);
    floorOnce(d);
  }

  const path: number[] = [];
  const floor: number[] = [];
  // Short blocks (about 1.5 ms each): a burst from another process on a shared machine then
  // lands on path and floor alike, where blocks of 500 (75 ms) left it to one side.
  const block = 10;
  const stream = deliveries.slice(warmUp);
  for (let i = 0; i < stream.length; i += block) {
    const part = stream.slice(i, i + block);
    const runPath = () => {
      for (const d of part) path.push(checkOnce(d));
    };
    const runFloor = () => {
      for (const d of part) floor.push(floorOnce(d));
    };
    // Alternating blocks, taking turns going first, so noise hits both alike.
    if ((i / block) % 2 === 0) {
      runPath();
      runFloor();
    } else {
      runFloor();
      runPath();
    }
  }
  if (refused > 0 || floorFailed > 0)
    throw new Error(`bench expected every message accepted: ${refused} refused, ${floorFailed} floor failed`);
  const refusals = [...trust.refusals().values()].reduce((a, b) => a + b, 0);
  if (refusals > 0) throw new Error(`bench expected no refusal, got ${refusals}`);

  const sizes = stream.map((d) => d.bytes);
  const signedSizes = stream.map((d) => d.signed.length);
  const p50 = percentile(path, 0.5);
  const p99 = percentile(path, 0.99);
  const floorP50 = percentile(floor, 0.5);
  const floorP99 = percentile(floor, 0.99);
  return {
    name: "signed_message_verify",
    n: path.length,
    p50_us: p50,
    p99_us: p99,
    floor_p50_us: floorP50,
    floor_p99_us: floorP99,
    ratio: p99 / floorP99,
    ratio_p50: p50 / floorP50,
    target: 1.5,
    accepted: path.length,
    mix: "40% shared replay, 40% shared passage, 20% operator requests",
    payload_bytes_p50: percentile(sizes, 0.5),
    signed_bytes_p50: percentile(signedSizes, 0.5),
  };
}

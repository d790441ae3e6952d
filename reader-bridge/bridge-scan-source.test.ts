import { generateKeyPairSync } from "node:crypto";
import type { MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { TestMosquitto as Mosquitto } from "../daemon/mqtt/testing/mosquitto.js";
import { publicKeyText } from "../daemon/trust/key-file.js";
import type { RosterMember } from "../daemon/trust/roster-member.js";
import { signMessage } from "../daemon/trust/signed-message.js";
import type { OwnSigner, SiteTrust } from "../daemon/trust/site-trust.js";
import { testOperatorMember, testSiteTrust } from "../daemon/trust/testing/test-members.js";
import { systemClock } from "../platform/clock.js";
import { createLogger } from "../platform/log/logger.js";
import { BridgeFloodLimit } from "./bridge/bridge-flood-limit.js";
import { BridgeScanSource } from "./bridge-scan-source.js";
import { mqttReaderRig, quickClient } from "./testing/mqtt-reader-rig.js";
import { ScanRecorder, settle, waitFor } from "./testing/scan-recorder.js";
import { describeScanSourceContract } from "./testing/scan-source-contract.js";

const silent = createLogger({ level: "silent" });
const GATE = "main-1";
const topicOf = (reader: string) => `passgate/s/${GATE}/reader/${reader}/scan`;

/** A reader bridge of the site with a fresh key, feeding `gate` for `readers`. */
function bridgeMember(
  name: string,
  readers: readonly string[],
  gate = GATE,
  status: "active" | "revoked" = "active",
): { member: RosterMember; signer: OwnSigner } {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const id = `bridge:${name}`;
  return {
    member: {
      id,
      kind: "bridge",
      gate,
      readers: [...readers],
      publicKey: publicKeyText(publicKey),
      status,
    },
    signer: { id, privateKey },
  };
}

const BRIDGE = bridgeMember("lane-1", ["in", "out"]);
let seq = 0;

/** The payload a bridge publishes for one scan; `text` may be a placeholder spliced later. */
function signedScan(
  text: string,
  options: { who?: OwnSigner; reader?: string; topic?: string; at?: number; scannedAt?: number } = {},
): string {
  const reader = options.reader ?? "in";
  const at = options.at ?? Date.now();
  const message = signMessage({
    topic: options.topic ?? topicOf(reader),
    signer: (options.who ?? BRIDGE.signer).id,
    privateKey: (options.who ?? BRIDGE.signer).privateKey,
    body: { reader, text, scannedAt: options.scannedAt ?? at, seq: ++seq },
    at,
  });
  return JSON.stringify(message);
}

function trustWith(members: readonly RosterMember[]): SiteTrust {
  return testSiteTrust({ members, clock: systemClock, acceptUnsigned: true });
}

function source(
  c: MqttClient,
  trust: SiteTrust,
  reader = "in",
  admit?: (signer: string, now: number) => boolean,
): BridgeScanSource {
  return new BridgeScanSource(
    reader,
    { topic: topicOf(reader), gate: GATE, freshnessMs: 2_000, maxBytes: 512 },
    { client: c, trust, clock: systemClock, logger: silent, ...(admit === undefined ? {} : { admit }) },
  );
}

async function harness(startBroker: boolean) {
  const rig = await mqttReaderRig(startBroker);
  const { readerClient, publisher } = rig;
  const send = async (bytes: Buffer) => {
    await waitFor(() => publisher.connected, "the bridge's client", 5_000);
    // Bytes that are not UTF-8 cannot be signed as JSON text: spliced into a signed message,
    // as a broken bridge or a forger would send them.
    const valid = Buffer.from(bytes.toString("utf8"), "utf8").equals(bytes);
    const payload = valid
      ? Buffer.from(signedScan(bytes.toString("utf8")))
      : Buffer.concat(
          signedScan("\u0001PLACEHOLDER\u0001")
            .split("\\u0001PLACEHOLDER\\u0001")
            .flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [bytes, Buffer.from(part)])),
        );
    await publisher.publishAsync(topicOf("in"), payload, { qos: 1 });
  };
  return { ...rig, source: source(readerClient, trustWith([BRIDGE.member])), maxBytes: 512, sendScan: send };
}

describeScanSourceContract("BridgeScanSource (signed scans) on a real mosquitto", () => harness(true), {
  startsWithoutDevice: () => harness(false),
});

describe("BridgeScanSource: only its bridge's signed, fresh scans for this reader", () => {
  let broker: Mosquitto;
  let readerClient: MqttClient;
  let publisher: MqttClient;
  const running: BridgeScanSource[] = [];
  beforeAll(async () => {
    broker = await Mosquitto.start();
    readerClient = quickClient(broker.url);
    publisher = quickClient(broker.url);
    await waitFor(() => readerClient.connected && publisher.connected, "the clients", 5_000);
  });
  afterEach(async () => {
    for (const s of running.splice(0)) await s.stop();
  });
  afterAll(async () => {
    await readerClient.endAsync(true);
    await publisher.endAsync(true);
    await broker.close();
  });

  async function started(
    trust: SiteTrust,
    reader = "in",
    admit?: (signer: string, now: number) => boolean,
  ): Promise<ScanRecorder> {
    const s = source(readerClient, trust, reader, admit);
    running.push(s);
    const rec = new ScanRecorder();
    await s.start(rec);
    await waitFor(() => rec.lastState === "connected", "subscribed");
    return rec;
  }

  const refusals = (trust: SiteTrust) => Object.fromEntries(trust.refusals());

  it("delivers a signed scan with the time it was scanned and who sent it", async () => {
    const trust = trustWith([BRIDGE.member]);
    const rec = await started(trust);
    const scannedAt = Date.now() - 1_500;
    await publisher.publishAsync(topicOf("in"), signedScan("PG1:GOOD", { scannedAt }), { qos: 1 });
    await waitFor(() => rec.scans.length === 1, "the scan");
    expect(rec.scans[0]).toMatchObject({
      reader: "in",
      text: "PG1:GOOD",
      at: scannedAt,
      bridge: { member: "bridge:lane-1", maxAgeMs: 2_000 },
    });
    expect(refusals(trust)).toEqual({});
  });

  it("refuses unsigned scans (even with acceptUnsigned), strangers, revoked and other kinds, other readers and gates, replays, stale and future ones", async () => {
    const other = bridgeMember("lane-2", ["out"]);
    const elsewhere = bridgeMember("east", ["in"], "east-1");
    const revoked = bridgeMember("old", ["in"], GATE, "revoked");
    const stranger = bridgeMember("stranger", ["in"]);
    const desk = testOperatorMember("desk", ["admin"]);
    const trust = trustWith([BRIDGE.member, other.member, elsewhere.member, revoked.member, desk.member]);
    const rec = await started(trust);
    const send = (payload: string, topic = topicOf("in")) =>
      publisher.publishAsync(topic, payload, { qos: 1 });

    await send(JSON.stringify({ reader: "in", text: "PG1:UNSIGNED", scannedAt: Date.now(), seq: 1 }));
    await send(signedScan("PG1:X", { who: stranger.signer }));
    await send(signedScan("PG1:X", { who: revoked.signer }));
    await send(signedScan("PG1:X", { who: desk.signer }));
    await send(signedScan("PG1:X", { who: other.signer }));
    await send(signedScan("PG1:X", { who: elsewhere.signer }));
    // Signed for reader out, moved to reader in's topic: the signature binds the topic.
    await send(signedScan("PG1:X", { reader: "out", topic: topicOf("out") }));
    // Signed for this topic but naming another reader in the body.
    await send(signedScan("PG1:X", { reader: "out", topic: topicOf("in") }));
    const once = signedScan("PG1:ONCE");
    await send(once);
    await send(once);
    await send(signedScan("PG1:X", { at: Date.now() - 5_000 }));
    await send(signedScan("PG1:X", { at: Date.now() + 5_000 }));
    await send(signedScan("PG1:X", { scannedAt: Date.now() + 60_000 }));
    await send("{not json");
    await send(signedScan("PG1:LAST"));
    await waitFor(() => rec.texts.includes("PG1:LAST"), "the last scan");
    await settle(100);
    expect(rec.texts).toEqual(["PG1:ONCE", "PG1:LAST"]);
    expect(refusals(trust)).toEqual({
      "bridge-scan:unsigned": 1,
      "bridge-scan:unknown_signer": 1,
      "bridge-scan:revoked_signer": 1,
      "bridge-scan:wrong_kind": 1,
      "bridge-scan:not_authorized": 3,
      "bridge-scan:bad_signature": 1,
      "bridge-scan:repeated_nonce": 1,
      "bridge-scan:stale": 1,
      "bridge-scan:future": 1,
      "bridge-scan:out_of_bounds": 1,
      "bridge-scan:malformed": 1,
    });
  });

  it("holds a flooding bridge to its share, counted, after its signature verified", async () => {
    const trust = trustWith([BRIDGE.member]);
    // Five at once, and (for this test) next to none after.
    const limit = new BridgeFloodLimit(5, 0.001);
    const rec = await started(trust, "in", limit.admit);
    // A forger's scans do not use up the bridge's budget: they fail on the signature first.
    const stranger = bridgeMember("lane-1-forged", ["in"]);
    for (let i = 0; i < 10; i++)
      await publisher.publishAsync(
        topicOf("in"),
        signedScan(`PG1:F${i}`, { who: { ...stranger.signer, id: "bridge:lane-1" } }),
        {
          qos: 1,
        },
      );
    for (let i = 0; i < 12; i++)
      await publisher.publishAsync(topicOf("in"), signedScan(`PG1:S${i}`), { qos: 1 });
    await waitFor(() => (refusals(trust)["bridge-scan:rate_limited"] ?? 0) >= 7, "the flood refused");
    await settle(100);
    expect(rec.texts).toEqual(["PG1:S0", "PG1:S1", "PG1:S2", "PG1:S3", "PG1:S4"]);
    expect(refusals(trust)).toEqual({ "bridge-scan:bad_signature": 10, "bridge-scan:rate_limited": 7 });
  });
});

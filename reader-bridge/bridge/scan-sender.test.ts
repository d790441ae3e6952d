import { generateKeyPairSync } from "node:crypto";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeMqttConnection } from "../../daemon/mqtt/testing/fake-mqtt-connection.js";
import { gateTopics } from "../../daemon/mqtt/topics.js";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import { signMessage } from "../../daemon/trust/signed-message.js";
import { createLogger } from "../../platform/log/logger.js";
import { FakeClock } from "../../platform/testing/fake-clock.js";
import { type PlayedAnswer, ScanSender } from "./scan-sender.js";

const topics = gateTopics({ prefix: "passgate", site: "s", gate: "main-1" });
const gateKeys = generateKeyPairSync("ed25519");
const bridgeKeys = generateKeyPairSync("ed25519");
const NOW = 1_796_000_000_000;

function rig() {
  vi.useFakeTimers({ now: NOW });
  const clock = new FakeClock(NOW);
  const link = new FakeMqttConnection();
  const played: PlayedAnswer[] = [];
  const sender = new ScanSender(
    link.connection,
    {
      topics,
      signer: { id: "bridge:lane-1", privateKey: bridgeKeys.privateKey },
      gate: {
        id: "gate:main-1",
        gate: "main-1",
        publicKey: publicKeyText(gateKeys.publicKey),
      },
      freshnessMs: 2_000,
      answerTimeoutMs: 1_500,
      readers: ["in"],
    },
    { clock, logger: createLogger({ level: "silent" }), play: (a) => played.push(a) },
  );
  sender.start();
  // The gate's retained status says it runs.
  link.deliverRaw(topics.status, "online");
  const answer = (seq: number, key = gateKeys.privateKey, signer = "gate:main-1") =>
    link.deliverRaw(
      topics.readerAnswer("in"),
      JSON.stringify(
        signMessage({
          topic: topics.readerAnswer("in"),
          signer,
          privateKey: key,
          body: {
            reader: "in",
            seq,
            result: "granted",
            reason: "ok",
            text: { en: "Welcome", ru: "Проходите" },
          },
          at: clock.now(),
        }),
      ),
    );
  const scan = (text = "PG1:X") => sender.send({ reader: "in", text, at: clock.now() });
  const seqOf = (i: number) => Number((link.sent[i]?.payload.body as { seq: number } | undefined)?.seq);
  return { clock, link, played, sender, answer, scan, seqOf };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("ScanSender", () => {
  it("signs each scan for its reader's topic, numbered, and plays the gate's signed answer to it", () => {
    const r = rig();
    r.scan();
    r.scan();
    expect(r.link.sent.map((s) => s.topic)).toEqual([topics.readerScan("in"), topics.readerScan("in")]);
    expect(r.link.sent[0]?.payload).toMatchObject({
      signer: "bridge:lane-1",
      body: { reader: "in", text: "PG1:X" },
    });
    expect(r.seqOf(1)).toBe(r.seqOf(0) + 1);
    r.answer(r.seqOf(1));
    expect(r.played).toMatchObject([{ seq: r.seqOf(1), result: "granted", reason: "ok", answered: true }]);
    expect(r.sender.counts.answered).toBe(1);
  });

  it("refuses answers not signed by its gate, for no scan of its own, or replayed; then plays 'try again'", () => {
    const r = rig();
    r.scan();
    const seq = r.seqOf(0);
    r.answer(seq, generateKeyPairSync("ed25519").privateKey);
    r.answer(seq, bridgeKeys.privateKey, "bridge:lane-1");
    r.answer(seq + 100);
    r.link.deliverRaw(topics.readerAnswer("in"), "{not json");
    expect(r.played).toEqual([]);
    expect(Object.fromEntries(r.sender.counts.refusedAnswers)).toEqual({
      bad_signature: 1,
      unknown_signer: 1,
      unknown_scan: 1,
      malformed: 1,
    });
    vi.advanceTimersByTime(1_500);
    expect(r.played).toMatchObject([{ result: "denied", reason: "no_answer", answered: false }]);
    expect(r.sender.counts.noAnswer).toBe(1);
  });

  it("keeps scans while the broker or the gate is away, sends the fresh ones when both are back, drops the stale at once", () => {
    const r = rig();
    r.link.setUp(false);
    r.scan("PG1:OLD");
    r.clock.advance(1_000);
    vi.advanceTimersByTime(1_000);
    r.scan("PG1:NEW");
    expect(r.sender.queued).toBe(2);
    r.clock.advance(1_200);
    vi.advanceTimersByTime(1_200);
    // The first is now 2.2 s old: dropped, never sent, and the person told to try again.
    expect(r.played).toMatchObject([{ reason: "no_answer", answered: false }]);
    expect(Object.fromEntries(r.sender.counts.dropped)).toEqual({ stale: 1 });
    r.link.setUp(true);
    expect(r.link.sent).toEqual([]);
    // Back, but the gate's status must say it runs before anything goes.
    r.link.deliverRaw(topics.status, "online");
    expect(r.link.sent.map((s) => (s.payload.body as { text: string }).text)).toEqual(["PG1:NEW"]);
  });
});

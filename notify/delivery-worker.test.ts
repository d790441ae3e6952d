import { afterEach, describe, expect, it } from "vitest";
import { waitUntil } from "../daemon/mqtt/testing/mosquitto.js";
import { type Db, openDatabase } from "../platform/database/database.js";
import { createLogger } from "../platform/log/logger.js";
import { FakeClock } from "../platform/testing/fake-clock.js";
import type { DeliveryChannel } from "./delivery-channel.js";
import { DeliveryStore, migrateNotifyDatabase, type NewDelivery } from "./delivery-store.js";
import { DeliveryWorker } from "./delivery-worker.js";
import { type Guardian, GuardianDirectory } from "./guardian-directory.js";
import { ScriptedChannel } from "./testing/scripted-channel.js";

// The worker on a real (in-memory) SQLite queue with a scripted channel and a clock that
// moves only when told: when each attempt comes, and when a delivery is given up.

const T0 = Date.UTC(2026, 11, 1, 5, 0);
const retry = { firstMs: 5_000, maxMs: 60_000, giveUpAfterMs: 3_600_000 };
const anna: Guardian = { id: "p-77", name: "Анна", consent: true, email: "anna@example.ru" };

let db: Db | undefined;
let worker: DeliveryWorker | undefined;
afterEach(async () => {
  await worker?.stop();
  db?.close();
});

function setUp(channel: DeliveryChannel, guardians: Guardian[] = [anna]) {
  db = openDatabase(":memory:");
  migrateNotifyDatabase(db);
  const store = new DeliveryStore(db);
  const clock = new FakeClock(T0);
  const directory = new GuardianDirectory(guardians);
  worker = new DeliveryWorker({
    store,
    directory: () => directory,
    channels: new Map([[channel.kind, channel]]),
    retry,
    keepMs: 86_400_000,
    clock,
    logger: createLogger({ level: "silent" }),
    random: () => 0,
  });
  return { store, clock, worker };
}

const delivery: NewDelivery = {
  noticeId: "4f9d2a1e-0000-4000-8000-000000000001",
  guardian: "p-77",
  channel: "email",
  person: "p-2001",
  name: "Петя",
  gate: "main-1",
  direction: "in",
  passedAt: T0,
};

describe("DeliveryWorker", () => {
  it("retries a temporary failure after the backoff, half of it random, and records the attempts", async () => {
    const channel = new ScriptedChannel("email", ["retry", "retry"]);
    const { store, clock, worker } = setUp(channel);
    store.enqueue([delivery], clock.now());
    await worker.start();
    await waitUntil(() => channel.calls.length === 1, "the first attempt");
    await waitUntil(() => store.list("pending", 1)[0]?.attempts === 1, "the failure recorded");
    // random() = 0: the first wait is half of 5 s, the second half of 10 s.
    expect(store.list("pending", 1)[0]).toMatchObject({
      nextAt: T0 + 2_500,
      lastError: "scripted temporary failure",
    });
    clock.advance(2_499);
    worker.wake();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(channel.calls).toHaveLength(1);
    clock.advance(1);
    worker.wake();
    await waitUntil(() => store.list("pending", 1)[0]?.attempts === 2, "the second attempt");
    expect(store.list("pending", 1)[0]?.nextAt).toBe(T0 + 2_500 + 5_000);
    clock.advance(5_000);
    worker.wake();
    await waitUntil(() => store.counts().sent === 1, "the third attempt, sent");
    expect(store.list("sent", 1)[0]).toMatchObject({ attempts: 3, lastError: undefined });
  });

  it("gives up a permanent failure at once, and a temporary one after giveUpAfter", async () => {
    const channel = new ScriptedChannel("email", ["permanent", ...Array<"retry">(1_000).fill("retry")]);
    const { store, clock, worker } = setUp(channel);
    store.enqueue([delivery], clock.now());
    store.enqueue([{ ...delivery, noticeId: "4f9d2a1e-0000-4000-8000-000000000002" }], clock.now());
    await worker.start();
    await waitUntil(() => store.counts().failed === 1 && channel.calls.length === 2, "both tried");
    expect(store.list("failed", 1)[0]).toMatchObject({
      attempts: 1,
      lastError: "scripted permanent failure",
    });
    // An hour of failures: each wait doubles up to a minute; then it is given up.
    for (let i = 0; i < 1_000 && store.counts().pending > 0; i++) {
      const next = store.nextDue() ?? clock.now();
      clock.set(Math.max(clock.now(), next));
      const before = channel.calls.length;
      worker.wake();
      await waitUntil(() => channel.calls.length > before, "the next attempt");
      await waitUntil(() => store.list("pending", 1)[0]?.nextAt !== next, "its result recorded");
    }
    expect(store.counts()).toMatchObject({ pending: 0, failed: 2 });
    const given = store.list("failed", 2).find((d) => d.attempts > 1);
    expect(given?.doneAt).toBeLessThanOrEqual(T0 + retry.giveUpAfterMs);
    expect(given?.doneAt).toBeGreaterThan(T0 + retry.giveUpAfterMs - retry.maxMs);
  });

  it("sends nothing more to a guardian who withdrew consent or was removed since the notice came", async () => {
    const channel = new ScriptedChannel("email");
    const { store, clock, worker } = setUp(channel, [{ ...anna, consent: false }]);
    store.enqueue([delivery, { ...delivery, guardian: "p-99" }], clock.now());
    await worker.start();
    await waitUntil(() => store.counts().failed === 2, "both dropped");
    expect(channel.calls).toEqual([]);
    expect(
      store
        .list("failed", 2)
        .map((d) => d.lastError)
        .sort(),
    ).toEqual(["the guardian is no longer listed", "the guardian withdrew consent"]);
  });
});

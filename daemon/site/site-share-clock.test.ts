import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../platform/database/database.js";
import { createLogger } from "../../platform/log/logger.js";
import { FakeClock } from "../../platform/testing/fake-clock.js";
import type { Credential } from "../allowlist/credential.js";
import { FakeMqttConnection } from "../mqtt/testing/fake-mqtt-connection.js";
import { gateTopics } from "../mqtt/topics.js";
import { migrateGateState } from "../state/gate-state-schema.js";
import { PresenceStore } from "../state/presence-store.js";
import { ReplayGuard } from "../state/replay-guard.js";
import { testGateMember, testSiteTrust } from "../trust/testing/test-members.js";
import { migrateSiteOutbox, SiteOutbox } from "./site-outbox.js";
import { SiteShare } from "./site-share.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const credential = { id: "42", scheme: "totp", totp: { period: 30 } } as unknown as Credential;

describe("SiteShare and the gate's clock", () => {
  it("keeps a pair from another gate that looks expired by a clock running ahead", async () => {
    const dir = mkdtempSync(join(tmpdir(), "passgate-site-clock-"));
    dirs.push(dir);
    const db = openDatabase(join(dir, "gate.db"));
    migrateGateState(db);
    migrateSiteOutbox(db);
    const replay = new ReplayGuard(db);
    const topics = gateTopics({ prefix: "passgate", site: "s", gate: "gate-b" });
    const link = new FakeMqttConnection();
    const step = 60_000_000;
    const realNow = step * 30_000 + 15_000;
    // Gate B's clock is 100 s ahead: by it, the pair (live for 90 s after its step began) has expired.
    const clock = new FakeClock(realNow + 100_000);
    const a = testGateMember("gate-a");
    const share = new SiteShare(link.connection, topics, {
      gate: "gate-b",
      outbox: new SiteOutbox(db),
      replay,
      presence: new PresenceStore(db),
      allowlist: { get: (id) => (id === "42" || id === "43" ? credential : undefined) },
      trust: testSiteTrust({ members: [a.member], clock }),
      window: 1,
      clockToleranceMs: 120_000,
      clock,
      logger: createLogger({ level: "silent" }),
    });
    share.start();
    // Gate A signs by its own (right) clock.
    const aTrust = testSiteTrust({ members: [], signer: a.signer, clock: new FakeClock(realNow) });
    const record = (gate: string, id: string) => ({
      gate,
      credential: id,
      step,
      expiresAt: (step + 3) * 30_000,
    });
    const aTopic = gateTopics({ prefix: "passgate", site: "s", gate: "gate-a" }).sharedReplay;
    link.deliver(aTopic, JSON.parse(aTrust.sign(aTopic, record("gate-a", "42")) ?? "null"));
    await share.settled();
    // Once the clock is stepped back, the screenshot of that code must still be refused.
    expect(replay.seen("42", step)).toBe(true);
    link.deliver(aTopic, JSON.parse(aTrust.sign(aTopic, record("gate-b", "43")) ?? "null"));
    await share.settled();
    expect(replay.seen("43", step)).toBe(false);
    await share.stop();
    db.close();
  });
});

import { generateKeyPairSync } from "node:crypto";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { EXAMPLE_KEY_ID, EXAMPLE_TRUST, RFC_TEST2_PRIVATE } from "../daemon/allowlist/testing/test-bodies.js";
import { publicKeyText } from "../daemon/trust/key-file.js";
import { MAX_ROSTER_BYTES, readRosterBody } from "../daemon/trust/roster-body.js";
import type { RosterMember } from "../daemon/trust/roster-member.js";
import { RosterStore } from "../daemon/trust/roster-store.js";
import { signedRoster } from "../sim/registry/signed-roster.js";
import {
  GateDb,
  GOOD_TOKEN,
  httpSync,
  memoryLogger,
  put,
  registryPerFile,
  SITE,
  startRegistry,
} from "../test/fixtures/sync-fixture.js";
import { HttpRegistryClient } from "./http-registry-client.js";
import type { RegistryClient } from "./registry-client.js";
import { FakeRegistryClient } from "./testing/fake-registry-client.js";

const keyOf = () => publicKeyText(generateKeyPairSync("ed25519").publicKey);
const member = (name: string): RosterMember => ({
  id: `gate:${name}`,
  kind: "gate",
  gate: name,
  publicKey: keyOf(),
  status: "active",
});

const registry = registryPerFile();

const gates: GateDb[] = [];
afterEach(() => {
  for (const g of gates.splice(0)) g.close();
});

/** The roster part of the RegistryClient contract, for the fake and for HTTP against the simulated registry. */
const harnesses: [
  string,
  () => Promise<{ client: RegistryClient; publish(members: RosterMember[]): number }>,
][] = [
  [
    "FakeRegistryClient",
    async () => {
      const fake = new FakeRegistryClient();
      let version = 0;
      return {
        client: {
          fetchAllowlist: (s, sig) => fake.fetchAllowlist(s, sig),
          postEvents: (e, sig) => fake.postEvents(e, sig),
          fetchRoster: async (since, signal) => {
            const answer = await fake.fetchRoster(since, signal);
            return answer.kind === "absent" && version > 0 && since !== null && since >= version
              ? { kind: "not_modified" }
              : answer;
          },
        },
        publish: (members) => {
          version++;
          const body = Buffer.from(
            signedRoster(
              { site: SITE, version, issuedAt: "2026-12-01T00:00:00Z", members },
              { keyId: EXAMPLE_KEY_ID, privateKey: RFC_TEST2_PRIVATE },
            ),
          );
          fake.rosterAnswers.push({ kind: "body", body });
          return version;
        },
      };
    },
  ],
  [
    "HttpRegistryClient against a real HTTP registry",
    async () => {
      const started = startRegistry();
      const own = started.server;
      const base = await started.url;
      afterAllStops.push(() => own.stop());
      return {
        client: new HttpRegistryClient({ url: base, site: SITE, token: GOOD_TOKEN }),
        publish: (members) => own.publishRoster(members),
      };
    },
  ],
];
const afterAllStops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of afterAllStops) await s();
});

describe.each(harnesses)("RegistryClient roster contract: %s", (_name, make) => {
  it("absent until the registry has one; then the signed body; not_modified when up to date", async () => {
    const h = await make();
    expect(await h.client.fetchRoster(null)).toEqual({ kind: "absent" });
    const version = h.publish([member("a"), member("b")]);
    const fetched = await h.client.fetchRoster(null);
    if (fetched.kind !== "body") throw new Error(`expected a body, got ${fetched.kind}`);
    const read = readRosterBody(fetched.body, { site: SITE, trustedKeys: EXAMPLE_TRUST });
    expect(read).toMatchObject({ ok: true, version, members: [{ id: "gate:a" }, { id: "gate:b" }] });
    expect(await h.client.fetchRoster(version)).toEqual({ kind: "not_modified" });
  });
});

describe("the sync loop and the roster", () => {
  it("pulls the roster with a good allowlist pull and applies it when newer; a refused one changes nothing", async () => {
    const gate = new GateDb();
    gates.push(gate);
    const roster = RosterStore.open(gate.db);
    registry.server.publish([put(1001)]);
    const { lines, logger } = memoryLogger();
    const { sync } = httpSync(gate, registry.url, { parts: { roster }, logger });
    // No roster at the registry yet: the allowlist is applied and the roster left alone.
    expect((await sync.pullOnce()).kind).toBe("applied");
    expect(roster.list()).toEqual([]);

    const v1 = registry.server.publishRoster([member("main-1"), member("main-2")]);
    expect((await sync.pullOnce()).kind).toBe("not_modified");
    expect(roster.version()?.version).toBe(v1);
    expect(roster.list().map((m) => [m.member.id, m.origin])).toEqual([
      ["gate:main-1", "registry"],
      ["gate:main-2", "registry"],
    ]);
    expect(lines().some((l) => l.msg === `roster v${v1} applied`)).toBe(true);

    // Up to date: asked with ?since and answered 304.
    expect(await sync.pullRoster()).toEqual({ kind: "not_modified" });
    expect(registry.server.requests.filter((r) => r.path.endsWith("/roster")).at(-1)?.since).toBe(v1);
  });

  it("a roster signed by a key the gate does not trust, or too large, is refused; the one in force stays", async () => {
    const gate = new GateDb();
    gates.push(gate);
    const roster = RosterStore.open(gate.db);
    const fake = new FakeRegistryClient();
    const { sync } = httpSync(gate, registry.url, { parts: { roster, client: fake } });
    const good = signedRoster(
      { site: SITE, version: 3, issuedAt: "2026-12-01T00:00:00Z", members: [member("main-1")] },
      { keyId: EXAMPLE_KEY_ID, privateKey: RFC_TEST2_PRIVATE },
    );
    fake.rosterAnswers.push({ kind: "body", body: Buffer.from(good) });
    expect(await sync.pullRoster()).toEqual({ kind: "applied", version: 3, members: 1 });
    const stranger = generateKeyPairSync("ed25519").privateKey;
    const forged = signedRoster(
      { site: SITE, version: 4, issuedAt: "2026-12-01T00:00:00Z", members: [member("evil")] },
      { keyId: EXAMPLE_KEY_ID, privateKey: stranger },
    );
    fake.rosterAnswers.push({ kind: "body", body: Buffer.from(forged) });
    expect(await sync.pullRoster()).toMatchObject({ kind: "refused", reason: "bad_signature" });
    fake.rosterAnswers.push({ kind: "body", body: Buffer.from(good) });
    expect(await sync.pullRoster()).toEqual({ kind: "not_newer" });
    expect(roster.list().map((m) => m.member.id)).toEqual(["gate:main-1"]);
    expect(roster.version()?.version).toBe(3);

    // Over HTTP, a body past the bound is cut off, not buffered.
    const big = startRegistry();
    const bigUrl = await big.url;
    try {
      big.server.publishRoster(
        Array.from({ length: 6_000 }, (_, i) => ({ ...member(`g${i}`), displayName: "x".repeat(200) })),
      );
      const client = new HttpRegistryClient({ url: bigUrl, site: SITE, token: GOOD_TOKEN });
      expect(await client.fetchRoster(null)).toMatchObject({
        kind: "failed",
        message: `the roster is larger than ${MAX_ROSTER_BYTES} bytes`,
      });
    } finally {
      await big.server.stop();
    }
  });
});

import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type Config, configSchema } from "../../config/schema.js";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import { type BrokerAccount, siteAccounts } from "./site-accounts.js";
import { BrokerAclError, topicMatches } from "./topic-text.js";

const key = () => publicKeyText(generateKeyPairSync("ed25519").publicKey);

function gate(name: string, extra: Record<string, unknown> = {}, mqtt: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    site: "north",
    gate: name,
    timezone: "UTC",
    storage: { path: `/tmp/${name}.db` },
    mqtt: { url: "mqtt://127.0.0.1:1883", ...mqtt },
    readers: [{ id: "in", direction: "in", source: { type: "stdin" } }],
    relays: [{ id: "t", reader: "in", driver: { type: "tasmota", topic: `${name}-board` } }],
    ...extra,
  });
}

const find = (accounts: readonly BrokerAccount[], name: string): BrokerAccount => {
  const a = accounts.find((x) => x.name === name);
  if (a === undefined) throw new Error(`no account ${name}`);
  return a;
};

describe("siteAccounts: least privilege per account", () => {
  it("gives a gate exactly its own topics, its records, its board's commands, and reads of its board and the site", () => {
    const { accounts } = siteAccounts([gate("g1", {}, { topicPrefix: "pg" })], []);
    expect(find(accounts, "gate-g1")).toEqual({
      name: "gate-g1",
      kind: "gate",
      uses: ["gate g1", "relay t of gate g1"],
      publish: [
        "cmnd/g1-board/POWER1",
        "cmnd/g1-board/PulseTime1",
        "pg/north/g1/event",
        "pg/north/g1/reader/+/answer",
        "pg/north/g1/reader/+/feedback",
        "pg/north/g1/request/pulse",
        "pg/north/g1/response/+",
        "pg/north/g1/state",
        "pg/north/g1/status",
        "pg/north/notify",
        "pg/north/shared/g1/alive",
        "pg/north/shared/g1/catch-up",
        "pg/north/shared/g1/passage",
        "pg/north/shared/g1/replay",
      ],
      subscribe: [
        "pg/north/+/status",
        "pg/north/g1/bridge/#",
        "pg/north/g1/reader/+/scan",
        "pg/north/g1/request/+",
        "pg/north/g1/response/pulse",
        "pg/north/g1/status",
        "pg/north/shared/+/alive",
        "pg/north/shared/+/catch-up",
        "pg/north/shared/+/passage",
        "pg/north/shared/+/replay",
        "stat/g1-board/POWER",
        "stat/g1-board/POWER1",
        "tele/g1-board/LWT",
      ],
    });
    expect(find(accounts, "board-g1-board")).toMatchObject({
      publish: ["stat/g1-board/POWER", "stat/g1-board/POWER1", "tele/g1-board/LWT"],
      subscribe: ["cmnd/g1-board/#"],
    });
    // No registry configured: no registry account, no registry read.
    expect(accounts.map((a) => a.name)).toEqual(["gate-g1", "board-g1-board"]);
  });

  it("gives bridges their gate's scan and own status, operators the requests of their roles and gates; skips the revoked", () => {
    const members: RosterMember[] = [
      { id: "bridge:b1", kind: "bridge", gate: "g2", readers: ["in"], publicKey: key(), status: "active" },
      { id: "bridge:b9", kind: "bridge", gate: "g9", readers: ["in"], publicKey: key(), status: "active" },
      {
        id: "operator:o1",
        kind: "operator",
        roles: ["guard"],
        gates: ["g1"],
        publicKey: key(),
        status: "revoked",
      },
      {
        id: "operator:o2",
        kind: "operator",
        roles: ["guard"],
        gates: ["g1"],
        publicKey: key(),
        status: "active",
      },
      { id: "chief", kind: "operator", roles: ["admin"], publicKey: key(), status: "active" },
    ];
    const { accounts, skipped } = siteAccounts([gate("g1"), gate("g2")], members);
    expect(find(accounts, "bridge-b1")).toMatchObject({
      publish: [
        "passgate/north/g2/bridge/b1/display",
        "passgate/north/g2/bridge/b1/state",
        "passgate/north/g2/bridge/b1/status",
        "passgate/north/g2/reader/in/scan",
      ],
      subscribe: ["passgate/north/g2/reader/in/answer", "passgate/north/g2/reader/in/feedback"],
    });
    expect(find(accounts, "operator-o2").publish).toEqual([
      "passgate/north/g1/request/open",
      "passgate/north/g1/request/pulse",
      "passgate/north/g1/request/status",
    ]);
    // An admin of every gate: mode, pulse, open and status at g1 and g2.
    expect(find(accounts, "operator-chief").publish).toHaveLength(8);
    expect(find(accounts, "operator-chief").publish).toContain("passgate/north/g2/request/open");
    expect(skipped).toEqual([
      { member: "bridge:b9", reason: "feeds gate g9, whose config was not given" },
      { member: "operator:o1", reason: "revoked" },
    ]);
  });

  it("puts a sensor on a relay board's own topics into that board's account, and gives a shared fire panel one account", () => {
    const fire = { fireAlarm: { topic: "stat/fire/SWITCH1" } };
    const { accounts } = siteAccounts(
      [
        gate("g1", {}, { ...fire, passage: [{ reader: "in", topic: "stat/g1-board/SWITCH1" }] }),
        gate("g2", {}, fire),
      ],
      [],
    );
    expect(find(accounts, "board-g1-board").publish).toContain("stat/g1-board/SWITCH1");
    expect(find(accounts, "board-fire")).toMatchObject({ publish: ["stat/fire/SWITCH1"], subscribe: [] });
    for (const g of ["gate-g1", "gate-g2"])
      expect(find(accounts, g).subscribe).toContain("stat/fire/SWITCH1");
  });

  it("gives a Shelly Gen2 board the gate's reply topic, and a registry its push when a gate uses one", () => {
    const registry = { registry: { url: "http://r.example", trustedKeys: {} } };
    const g = gate(
      "g1",
      { ...registry, relays: [{ id: "t", reader: "in", driver: { type: "shelly-gen2", id: "sp1" } }] },
      { clientId: "gate-one" },
    );
    const { accounts } = siteAccounts([g], []);
    expect(find(accounts, "board-sp1")).toMatchObject({
      publish: ["gate-one/rpc", "sp1/online"],
      subscribe: ["sp1/rpc"],
    });
    expect(find(accounts, "registry").publish).toEqual(["pg/registry/north/changed"]);
    expect(find(accounts, "gate-g1").subscribe).toContain("pg/registry/north/changed");
  });
});

describe("siteAccounts: refuses what cannot be written safely", () => {
  const refused = (fn: () => unknown, message: RegExp) => {
    expect(fn).toThrow(BrokerAclError);
    expect(fn).toThrow(message);
  };
  const mqttReader = (topic: string) => ({
    readers: [
      { id: "in", direction: "in", source: { type: "stdin" } },
      { id: "fw", direction: "out", source: { type: "mqtt", topic } },
    ],
  });

  it("refuses a reader topic with a space, a line break, a quote, an empty level or under $", () => {
    refused(
      () => siteAccounts([gate("g1", mqttReader("tele/reader in/RESULT"))], []),
      /printable ASCII without spaces/,
    );
    refused(() => siteAccounts([gate("g1", mqttReader("tele/r\nuser x/RESULT"))], []), /printable ASCII/);
    refused(() => siteAccounts([gate("g1", mqttReader('tele/"r"/RESULT'))], []), /quote/);
    refused(() => siteAccounts([gate("g1", mqttReader("tele//RESULT"))], []), /empty level/);
    refused(() => siteAccounts([gate("g1", mqttReader("$SYS/x"))], []), /under \$/);
  });

  it("refuses a member id that cannot be an account name, gates of two sites, and a gate without mqtt", () => {
    const bad: RosterMember = {
      id: "bridge:a+b",
      kind: "bridge",
      gate: "g1",
      readers: ["in"],
      publicKey: key(),
      status: "active",
    };
    refused(() => siteAccounts([gate("g1")], [bad]), /account name "bridge-a\+b"/);
    refused(() => siteAccounts([gate("g1"), { ...gate("g2"), site: "south" }], []), /site south, not north/);
    refused(() => siteAccounts([{ ...gate("g1"), mqtt: undefined }], []), /no mqtt: section/);
    refused(() => siteAccounts([], []), /no gate config/);
  });

  it("refuses two board kinds under one name, and an input on a gate's own topic", () => {
    const two = gate("g1", {
      relays: [
        { id: "a", reader: "in", driver: { type: "tasmota", topic: "x1" } },
        { id: "b", reader: "in", driver: { type: "shelly-gen1", id: "x1" } },
      ],
    });
    refused(() => siteAccounts([two], []), /two boards of different kinds/);
    refused(
      () => siteAccounts([gate("g1", {}, { fireAlarm: { topic: "passgate/north/g1/state" } })], []),
      /one topic, one publisher/,
    );
  });
});

describe("topicMatches", () => {
  it.each([
    ["a/+/c", "a/b/c", true],
    ["a/#", "a/b/c", true],
    ["a/+", "a/b/c", false],
    ["a/b", "a/+", false],
    ["a/+", "a/+", true],
    ["a/b/c", "a/b/c", true],
    ["a/b/c", "a/b", false],
  ])("%s matches %s: %s", (filter, topic, expected) => expect(topicMatches(filter, topic)).toBe(expected));
});

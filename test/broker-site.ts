import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openGateDatabase } from "../app/gate-database.js";
import { type Config, configSchema } from "../config/schema.js";
import { publicKeyText } from "../daemon/trust/key-file.js";
import type { RosterMember } from "../daemon/trust/roster-member.js";
import { RosterStore } from "../daemon/trust/roster-store.js";

const keyOf = () => publicKeyText(generateKeyPairSync("ed25519").publicKey);

/** The registry key the site's gates trust, for signed roster files. */
export const brokerSiteRegistry = generateKeyPairSync("ed25519");

/**
 * A site of two gates on one broker, as `passgate broker acl` reads it:
 * - main-1: a Tasmota board `turnstile-1` (relay channel 1) whose input SWITCH1 is the
 *   rotation sensor of reader `in`, a firmware reader on `tele/reader-out/RESULT`, the fire
 *   panel's input `stat/fire-panel/SWITCH1`, the registry;
 * - main-2: a Shelly Gen2 `shellyplus1-a8` and a generic board `door-2`, the same fire panel.
 * The roster (in main-1's database) has a bridge of main-1, a guard of main-1, an admin of
 * every gate, a revoked bridge and a gate member.
 */
export function brokerSite(dir: string): {
  readonly files: readonly string[];
  readonly configs: readonly Config[];
  readonly members: readonly RosterMember[];
} {
  const registryKey = publicKeyText(brokerSiteRegistry.publicKey);
  const raws = [
    {
      site: "north",
      gate: "main-1",
      timezone: "UTC",
      storage: { path: join(dir, "main-1.db") },
      registry: { url: "http://127.0.0.1:9", trustedKeys: { "reg-1": registryKey } },
      mqtt: {
        url: "mqtt://127.0.0.1:1883",
        username: "gate-main-1",
        passage: [{ reader: "in", topic: "stat/turnstile-1/SWITCH1" }],
        fireAlarm: { topic: "stat/fire-panel/SWITCH1" },
      },
      readers: [
        { id: "in", direction: "in", source: { type: "stdin" } },
        { id: "out", direction: "out", source: { type: "mqtt", topic: "tele/reader-out/RESULT" } },
      ],
      relays: [{ id: "turnstile", reader: "in", driver: { type: "tasmota", topic: "turnstile-1" } }],
    },
    {
      site: "north",
      gate: "main-2",
      timezone: "UTC",
      storage: { path: join(dir, "main-2.db") },
      mqtt: { url: "mqtt://127.0.0.1:1883", fireAlarm: { topic: "stat/fire-panel/SWITCH1" } },
      readers: [
        { id: "in", direction: "in", source: { type: "stdin" } },
        { id: "out", direction: "out", source: { type: "mqtt", topic: "tele/reader-out-2/RESULT" } },
      ],
      relays: [
        { id: "turnstile", reader: "in", driver: { type: "shelly-gen2", id: "shellyplus1-a8" } },
        { id: "door", reader: "out", driver: { type: "generic", device: "door-2", channel: 2 } },
      ],
    },
  ];
  const files = raws.map((raw) => {
    const file = join(dir, `${raw.gate}.yaml`);
    writeFileSync(file, JSON.stringify(raw));
    return file;
  });
  const configs = raws.map((raw) => configSchema.parse(raw));
  const members: RosterMember[] = [
    { id: "gate:main-2", kind: "gate", gate: "main-2", publicKey: keyOf(), status: "active" },
    {
      id: "bridge:t3",
      kind: "bridge",
      gate: "main-1",
      readers: ["in"],
      publicKey: keyOf(),
      status: "active",
    },
    {
      id: "bridge:old",
      kind: "bridge",
      gate: "main-1",
      readers: ["in"],
      publicKey: keyOf(),
      status: "revoked",
    },
    {
      id: "operator:desk-1",
      kind: "operator",
      roles: ["guard"],
      gates: ["main-1"],
      publicKey: keyOf(),
      status: "active",
    },
    {
      id: "operator:chief",
      kind: "operator",
      roles: ["guard", "admin"],
      publicKey: keyOf(),
      status: "active",
    },
  ];
  const first = configs[0];
  if (first === undefined) throw new Error("no config");
  const db = openGateDatabase(first.storage, "write");
  try {
    const store = RosterStore.open(db);
    for (const m of members) store.addLocal(m, Date.now());
  } finally {
    db.close();
  }
  return { files, configs, members };
}

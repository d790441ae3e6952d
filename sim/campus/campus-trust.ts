import { generateKeyPairSync } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { openGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import { RosterStore } from "../../daemon/trust/roster-store.js";
import type { GatePlan } from "./campus-config.js";

/** The key file of a campus gate, beside its config: what `passgate init` would have made. */
export function campusKeyFile(plan: GatePlan): string {
  return join(dirname(plan.configPath), "gate.key");
}

/**
 * Gives each gate of the campus its own signing key (0600, beside its config) and returns
 * the site's gate members, as `passgate keys init` and the roster would: the campus then
 * runs with signed site records, as a real site does.
 */
export function makeCampusKeys(plans: readonly GatePlan[]): RosterMember[] {
  return plans.map((plan) => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    writeFileSync(campusKeyFile(plan), privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
    return {
      id: `gate:${plan.gate}`,
      kind: "gate",
      gate: plan.gate,
      publicKey: publicKeyText(publicKey),
      status: "active",
    };
  });
}

/** Puts the site's members into a gate's roster, as `passgate trust add` on each gate would. */
export function seedCampusRoster(config: Config, members: readonly RosterMember[], now: number): void {
  const db = openGateDatabase(config.storage, "write");
  try {
    const roster = RosterStore.open(db);
    for (const m of members) roster.addLocal(m, now);
  } finally {
    db.close();
  }
}

import { DatabaseNeedsUpgradeError, NoDatabaseError, withGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { KeyFileError, keyFingerprint, publicKeyText, readKeyFile } from "../../daemon/trust/key-file.js";
import { RosterStore } from "../../daemon/trust/roster-store.js";
import { type CheckResult, errorText, fail, ok, warn } from "./doctor-check.js";
import type { DoctorPorts } from "./doctor-ports.js";

/**
 * What signs and is trusted on the site's broker (docs/trust.md): this gate's key, the
 * roster, and the migration switch that takes unsigned records. Only with `mqtt:`: a gate
 * without a broker sends and receives no site messages.
 */
export function checkTrust(config: Config, ports: DoctorPorts): CheckResult[] {
  if (config.mqtt === undefined) return [];
  const results = [checkKey(config, ports)];
  const roster = checkRoster(config);
  if (roster !== undefined) results.push(...roster);
  if (config.trust.acceptUnsigned)
    results.push(
      fail(
        "trust-unsigned",
        "trust.acceptUnsigned is on: anyone who can publish on the broker can send this gate site records",
        "add the site's gates to the roster (passgate trust add, or the registry's roster), then set trust.acceptUnsigned: false",
      ),
    );
  return results;
}

function checkKey(config: Config, ports: DoctorPorts): CheckResult {
  const file = config.trust.keyFile;
  if (file === undefined)
    return warn(
      "trust-key",
      "this gate has no signing key: it shares no site records and its peers cannot trust it",
      "passgate keys init",
    );
  const facts = ports.stat(file);
  if (facts === undefined)
    return fail("trust-key", `trust.keyFile ${file} does not exist`, "passgate keys init");
  if ((facts.mode & 0o077) !== 0)
    return fail(
      "trust-key",
      `trust.keyFile ${file} may be read by others (mode ${(facts.mode & 0o777).toString(8)})`,
      `chmod 600 ${file}`,
    );
  try {
    return ok("trust-key", `signing key ${keyFingerprint(publicKeyText(readKeyFile(file)))} (${file})`);
  } catch (err) {
    if (!(err instanceof KeyFileError)) throw err;
    return fail(
      "trust-key",
      errorText(err),
      "passgate keys init --force (then replace the gate's roster entry)",
    );
  }
}

function checkRoster(config: Config): CheckResult[] | undefined {
  let members: ReturnType<RosterStore["list"]>;
  try {
    members = withGateDatabase(config.storage, "read", (db) => RosterStore.open(db).list());
  } catch (err) {
    // The database checks already say what is wrong with the database and how to fix it.
    if (err instanceof NoDatabaseError || err instanceof DatabaseNeedsUpgradeError) return undefined;
    return [fail("trust-roster", `cannot read the roster: ${errorText(err)}`, "passgate db check")];
  }
  const active = members.filter((m) => m.member.status === "active");
  const results: CheckResult[] = [];
  if (active.length === 0)
    results.push(
      warn(
        "trust-roster",
        "the site roster is empty: this gate acts on no signed request and no site record",
        "passgate trust add <member> (the site's other gates, bridges, operators), or the registry's roster",
      ),
    );
  else {
    const count = (kind: string) => active.filter((m) => m.member.kind === kind).length;
    results.push(
      ok(
        "trust-roster",
        `${active.length} active members: ${count("gate")} gates, ${count("bridge")} bridges, ${count("operator")} operators`,
      ),
    );
  }
  // A bridge reader whose bridge is not in the roster reads nothing: every scan is refused.
  for (const reader of config.readers.filter((r) => r.source.type === "bridge")) {
    const bridges = active.filter(
      (m) =>
        m.member.kind === "bridge" && m.member.gate === config.gate && m.member.readers?.includes(reader.id),
    );
    results.push(
      bridges.length === 0
        ? fail(
            `reader-bridge-${reader.id}`,
            `reader ${reader.id} comes through a reader bridge, but no active bridge of the roster feeds it: its scans are refused`,
            `on the bridge: passgate bridge pair; here: passgate trust add --record '<its record>' (with gate ${config.gate} and reader ${reader.id})`,
          )
        : ok(
            `reader-bridge-${reader.id}`,
            `reader ${reader.id} is fed by ${bridges.map((b) => b.member.id).join(", ")}`,
          ),
    );
  }
  return results;
}

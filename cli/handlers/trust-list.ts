import { withGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { printable } from "../../daemon/journal/journal-format.js";
import { keyFingerprint } from "../../daemon/trust/key-file.js";
import type { RosterMember } from "../../daemon/trust/roster-member.js";
import { RosterStore } from "../../daemon/trust/roster-store.js";
import { gateTimeFormatter } from "../ops/gate-time.js";
import { printJson } from "../output.js";

/** What a member may speak for, in words. */
export function memberScope(m: RosterMember): string {
  if (m.kind === "gate") return `gate ${m.gate}`;
  if (m.kind === "bridge") return `gate ${m.gate}, readers ${(m.readers ?? []).join(",")}`;
  return `${(m.roles ?? []).join(",")} on ${m.gates === undefined ? "every gate" : m.gates.join(",")}`;
}

/** `passgate trust list`: the roster from the database, read-only; times in the gate's zone unless `utc`. */
export function trustList(
  config: Config,
  options: { readonly json?: boolean; readonly utc?: boolean },
): void {
  const { members, version } = withGateDatabase(config.storage, "read", (db) => {
    const store = RosterStore.open(db);
    return { members: store.list(), version: store.version() };
  });
  if (options.json === true) {
    printJson({
      version: version ?? null,
      members: members.map((m) => ({
        ...m.member,
        fingerprint: keyFingerprint(m.member.publicKey),
        origin: m.origin,
        addedAt: new Date(m.addedAt).toISOString(),
      })),
    });
    return;
  }
  const head =
    version === undefined
      ? "roster: local members only (no registry roster applied)"
      : `roster v${version.version} from the registry, issued ${gateTimeFormatter(config.timezone, options.utc)(version.issuedAt)}`;
  if (members.length === 0) {
    process.stdout.write(
      `${head}\nno members: this gate trusts no other gate, bridge or operator (passgate trust add, or the registry's roster)\n`,
    );
    return;
  }
  // Ids and names come from the registry or a person: printed so they cannot repaint the terminal.
  const rows = members.map((m) => [
    printable(m.member.id),
    m.member.kind,
    printable(memberScope(m.member)),
    keyFingerprint(m.member.publicKey),
    m.member.status,
    m.origin,
    m.member.displayName === undefined ? "" : printable(m.member.displayName),
  ]);
  const header = ["id", "kind", "scope", "fingerprint", "status", "origin", "name"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  process.stdout.write(`${head}\n${[line(header), ...rows.map(line)].join("\n")}\n`);
}

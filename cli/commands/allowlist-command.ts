import { createReadStream } from "node:fs";
import type { Command } from "commander";
import { ConfigError } from "../../config/load-config.js";
import type { AllowlistStats } from "../../daemon/allowlist/allowlist-store.js";
import { type ApplyResult, applyAllowlistBody } from "../../daemon/allowlist/apply-body.js";
import { type Credential, credentialIdSchema } from "../../daemon/allowlist/credential.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { type Clock, systemClock } from "../../platform/clock.js";
import type { Db } from "../../platform/database/database.js";
import { describeCliError } from "../cli-errors.js";
import { helpAfter, printJson } from "../output.js";

/** What the allowlist commands need: the gate's database and what an import is checked against. */
export interface AllowlistCommandStore {
  readonly db: Db;
  readonly site: string;
  /** Registry key id → base64url Ed25519 public key, from the config. */
  readonly trustedKeys: Record<string, string>;
  close(): void;
}

/**
 * `passgate allowlist import <file> | show <credential-id> | stats [--json]`.
 * `openStore` is called once per command, which closes what it returns. Exit codes:
 * 0 done, 1 refused or not found, 2 the database could not be opened.
 */
export function registerAllowlistCommand(
  program: Command,
  openStore: () => AllowlistCommandStore,
  clock: Clock = systemClock,
): void {
  const allowlist = program
    .command("allowlist")
    .description("the gate's copy of the registry allowlist (see docs/allowlist.md)");
  helpAfter(allowlist, {
    examples: [
      "passgate allowlist import allowlist.ndjson",
      "passgate allowlist show 1001",
      "passgate allowlist stats --json",
    ],
  });

  const importCommand = allowlist
    .command("import")
    .description(
      "verify a signed registry body (snapshot or delta) and apply it; nothing changes if a check fails",
    )
    .argument("<file>", "the body as the registry serves it (NDJSON, ending with its signed trailer)")
    .action(async (file: string) => {
      await withStore(openStore, async (env, store) => {
        const result = await applyAllowlistBody(store, createReadStream(file), {
          site: env.site,
          trustedKeys: env.trustedKeys,
          now: clock.now(),
        });
        if (result.ok) {
          process.stdout.write(`${describeImport(result, env.site)}\n`);
        } else {
          process.stderr.write(
            `allowlist import refused (${result.reason}): ${result.message}; the allowlist in force is unchanged (${inForce(store.stats())})\n`,
          );
          // An unreadable file is bad input (2); a body that fails its checks is a refusal (1).
          process.exitCode = result.reason === "read_error" ? 2 : 1;
        }
      });
    });

  helpAfter(importCommand, {
    notes:
      "The body is checked (signature, site, version order) before anything changes; a refused body leaves the allowlist in force as it was.",
    exitCodes: "0 imported; 1 refused (the reason is printed); 2 the database or the file cannot be read.",
    examples: [
      "passgate --config /etc/passgate/passgate.yaml allowlist import snapshot-v7.ndjson",
      "passgate allowlist import ../shared/spec/allowlist-example.ndjson",
    ],
  });

  const show = allowlist
    .command("show")
    .description("print a credential as the gate sees it (never its TOTP secret or key)")
    .argument("<credential-id>", "the decimal id, e.g. 1001")
    .option("--json", "one JSON object (the credential without key material)")
    .action(async (id: string, options: { json?: boolean }) => {
      await withStore(openStore, async (_env, store) => {
        if (!credentialIdSchema.safeParse(id).success) {
          process.stderr.write(
            `passgate: ${JSON.stringify(id)} is not a credential id — give the decimal id, such as 1001\n`,
          );
          process.exitCode = 2;
          return;
        }
        const credential = store.get(id);
        if (credential === undefined) {
          process.stderr.write(
            `passgate: credential ${id} is not in the allowlist (${inForce(store.stats())}) — check the id, or run "passgate sync now"\n`,
          );
          process.exitCode = 1;
          return;
        }
        if (options.json) printJson(credentialJson(credential, clock.now()));
        else process.stdout.write(`${formatCredential(credential, clock.now())}\n`);
      });
    });
  helpAfter(show, {
    exitCodes: "0 shown; 1 not in the allowlist; 2 not a credential id, or the database cannot be opened.",
    examples: ["passgate allowlist show 1001", "passgate allowlist show 1001 --json | jq .status"],
  });

  const stats = allowlist
    .command("stats")
    .description("site, version, size and age of the allowlist in force")
    .option("--json", "one JSON object")
    .action(async (options: { json?: boolean }) => {
      await withStore(openStore, async (_env, store) => {
        const stats = store.stats();
        const text = options.json
          ? JSON.stringify(statsJson(stats, clock.now()))
          : formatStats(stats, clock.now());
        process.stdout.write(`${text}\n`);
      });
    });
  helpAfter(stats, {
    notes:
      "No allowlist means every scan is denied; an old one (see `ageSeconds`) means revocations may be missing.",
    exitCodes: "0 shown; 2 the database cannot be opened.",
    examples: ["passgate allowlist stats", "passgate allowlist stats --json | jq .ageSeconds"],
  });
}

/**
 * What `allowlist show --json` prints: the credential as `formatCredential` shows it,
 * times in ISO 8601, key material reduced to the scheme and its period in seconds.
 */
export function credentialJson(c: Credential, now: number): object {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const validNow =
    (c.validFrom === undefined || now >= c.validFrom) && (c.validUntil === undefined || now < c.validUntil);
  return {
    id: c.id,
    person: c.person,
    displayName: c.displayName ?? null,
    roles: c.roles,
    status: c.status,
    assurance: c.assurance ?? null,
    validFrom: iso(c.validFrom),
    validUntil: iso(c.validUntil),
    validNow,
    zones: c.zones,
    scheme: c.scheme,
    periodSeconds: c.scheme === "totp" ? c.totp.period : c.ed25519.period,
    guardians: c.guardians,
    notifyGuardians: c.notifyGuardians,
  };
}

/** `imported snapshot v7 for site demo-campus: 4 credentials (4 put, 0 del)` */
export function describeImport(result: Extract<ApplyResult, { ok: true }>, site: string): string {
  const versions = result.kind === "delta" ? `v${result.from}→v${result.to}` : `v${result.to}`;
  return `imported ${result.kind} ${versions} for site ${site}: ${plural(result.count, "credential")} (${result.puts} put, ${result.dels} del)`;
}

/** The fields a guard or facilities person needs; key material is reduced to the scheme and period. */
export function formatCredential(c: Credential, now: number): string {
  const period = c.scheme === "totp" ? c.totp.period : c.ed25519.period;
  const guardians =
    c.guardians.length === 0
      ? "—"
      : `${c.guardians.join(", ")}${c.notifyGuardians ? " (notified of passages)" : " (not notified)"}`;
  const rows: [string, string][] = [
    ["person", c.person],
    ["name", c.displayName ?? "—"],
    ["roles", c.roles.join(", ") || "—"],
    ["status", c.status],
    ["assurance", c.assurance ?? "—"],
    ["valid", validity(c, now)],
    ["zones", c.zones.join(", ") || "—"],
    ["scheme", `${c.scheme}, ${period} s period`],
    ["guardians", guardians],
  ];
  return [`credential ${c.id}`, ...rows.map(([k, v]) => `  ${k.padEnd(10)} ${v}`)].join("\n");
}

export function formatStats(stats: AllowlistStats, now: number): string {
  if (stats.version === null) {
    return `no allowlist yet (${plural(stats.count, "credential")}): every scan is denied until the daemon syncs or \`passgate allowlist import <file>\` is run`;
  }
  const time = (ms: number | null, suffix: (age: string) => string) =>
    ms === null ? "—" : `${new Date(ms).toISOString()} (${suffix(formatAge(now - ms))})`;
  const rows: [string, string][] = [
    ["site", stats.site ?? "—"],
    ["version", `v${stats.version}`],
    ["count", plural(stats.count, "credential")],
    ["issued", time(stats.issuedAt, (age) => `age ${age}`)],
    ["synced", time(stats.syncedAt, (age) => `${age} ago`)],
  ];
  return rows.map(([k, v]) => `${k.padEnd(8)} ${v}`).join("\n");
}

export function statsJson(stats: AllowlistStats, now: number): object {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    site: stats.site,
    version: stats.version,
    count: stats.count,
    issuedAt: iso(stats.issuedAt),
    syncedAt: iso(stats.syncedAt),
    ageSeconds: stats.issuedAt === null ? null : Math.floor((now - stats.issuedAt) / 1000),
  };
}

/** `45s`, `13m`, `2h 13m`, `3d 4h`; a negative age (a clock behind the registry's) reads `-5m`. */
export function formatAge(ms: number): string {
  if (ms < 0) return `-${formatAge(-ms)}`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

function validity(c: Credential, now: number): string {
  const from = c.validFrom === undefined ? "" : `from ${new Date(c.validFrom).toISOString()}`;
  const until = c.validUntil === undefined ? "" : `until ${new Date(c.validUntil).toISOString()}`;
  const range = [from, until].filter((s) => s !== "").join(" ") || "no dates";
  const state =
    c.validFrom !== undefined && now < c.validFrom
      ? "not yet valid"
      : c.validUntil !== undefined && now >= c.validUntil
        ? "expired"
        : "in its validity now";
  return `${range} (${state})`;
}

function inForce(stats: AllowlistStats): string {
  return stats.version === null
    ? "no allowlist yet"
    : `v${stats.version}, ${plural(stats.count, "credential")}`;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

/** Opens the store for one command, reports an open failure as exit code 2, always closes. */
async function withStore(
  openStore: () => AllowlistCommandStore,
  use: (env: AllowlistCommandStore, store: SqliteAllowlistStore) => Promise<void>,
): Promise<void> {
  let env: AllowlistCommandStore | undefined;
  let store: SqliteAllowlistStore;
  try {
    env = openStore();
    store = SqliteAllowlistStore.open(env.db);
  } catch (err) {
    env?.close();
    if (err instanceof ConfigError) {
      // A missing or broken config is the same failure for every command: exit 1, said the same way.
      process.stderr.write(`${describeCliError(err)}\n`);
      process.exitCode = 1;
      return;
    }
    process.stderr.write(`cannot open the allowlist: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    await use(env, store);
  } finally {
    env.close();
  }
}

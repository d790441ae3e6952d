import { type Command, InvalidArgumentError } from "commander";
import type { Config } from "../../config/schema.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { migrateGateState } from "../../daemon/state/gate-state-schema.js";
import { LockoutTracker } from "../../daemon/state/lockout-tracker.js";
import { ModeStore } from "../../daemon/state/mode-store.js";
import { PresenceStore } from "../../daemon/state/presence-store.js";
import { type Clock, systemClock } from "../../platform/clock.js";
import { type DaemonAnswer, fetchDaemonStatus } from "../ops/daemon-status.js";
import { findCredentials } from "../ops/find-credentials.js";
import { readGateDb } from "../ops/ops-db.js";
import { type ReaderVerdict, wouldPass } from "../ops/would-pass.js";
import { helpAfter, palette, printJson } from "../output.js";
import { credentialJson, formatCredential } from "./allowlist-command.js";

/** Said with every verdict: the lookup has no token to check. */
export const TOKEN_ASSUMPTION = "assumes a valid, unused token (the lookup has none to check)";

/**
 * `passgate identity lookup <credential|person> [--at ISO] [--json]`: what the gate knows
 * about a credential or a person (never key material) and what `decide()` would answer at
 * each reader now, with the reason when not. Exit codes: 0 found, 1 not found.
 */
export function registerIdentityCommand(
  program: Command,
  loadConfig: () => Config,
  clock: Clock = systemClock,
): void {
  const identity = program
    .command("identity")
    .description("what the gate knows about a person or credential");
  helpAfter(identity, {
    examples: ["passgate identity lookup p-1001", "passgate identity lookup 1001 --json"],
  });
  const lookup = identity
    .command("lookup")
    .description(
      "credentials of a person or id (never secrets) and whether they would pass now at each reader",
    )
    .argument("<credential|person>", "a credential id such as 1001, or a person id such as p-1001")
    .option("--at <time>", "ask about another moment (ISO 8601, e.g. 2026-11-25T08:00:00+03:00)", parseTime)
    .option("--json", "one JSON document: {query, at, assumption, credentials: [{…, verdicts}]}")
    .action(async (what: string, options: { at?: number; json?: boolean }) => {
      const config = loadConfig();
      const now = options.at ?? clock.now();
      const daemon = await fetchDaemonStatus(config);
      const found = readGateDb(config, (db) => {
        const store = SqliteAllowlistStore.open(db);
        migrateGateState(db);
        const facts = {
          mode: ModeStore.load(db, { mode: config.policy.mode, since: now, source: "config" }).get().mode,
          lockout: new LockoutTracker(db, config.policy.lockout),
          presence: new PresenceStore(db),
          syncedAt: store.stats().syncedAt,
          relayAvailable: relayAvailability(daemon),
        };
        return findCredentials(db, store, what).map((c) => ({
          credential: c,
          verdicts: wouldPass(config, c, facts, now),
        }));
      });
      if (options.json === true) {
        printJson({
          query: what,
          at: new Date(now).toISOString(),
          assumption: TOKEN_ASSUMPTION,
          relayStateKnown: daemon.reachable,
          credentials: found.map((f) => ({ ...credentialJson(f.credential, now), verdicts: f.verdicts })),
        });
      } else if (found.length === 0) {
        process.stdout.write(`no credential or person ${JSON.stringify(what)} in the allowlist\n`);
      } else {
        const p = palette(process.stdout);
        const blocks = found.map(
          (f) =>
            `${formatCredential(f.credential, now)}\n  would pass (at ${new Date(now).toISOString()}, ${TOKEN_ASSUMPTION}):\n${formatVerdicts(f.verdicts, p)}`,
        );
        process.stdout.write(`${blocks.join("\n\n")}\n`);
      }
      if (found.length === 0) process.exitCode = 1;
    });
  helpAfter(lookup, {
    notes:
      "The verdict uses the gate's real policy, mode, lockouts, anti-passback state and allowlist age;\nrelay availability only when the daemon answers on its http: endpoint.",
    exitCodes: "0 found; 1 not found or the config/database cannot be read; 2 bad --at",
    examples: [
      "passgate identity lookup 1001",
      "passgate identity lookup p-1001 --json | jq '.credentials[].verdicts'",
      "passgate identity lookup p-1001 --at 2026-11-28T07:30:00+03:00   # on Saturday morning?",
    ],
  });
}

function relayAvailability(daemon: DaemonAnswer): ((readerId: string) => boolean | undefined) | undefined {
  if (!daemon.reachable) return undefined;
  const relays = daemon.status.relays;
  return (readerId) => {
    const own = relays.filter((r) => r.reader === readerId);
    return own.length === 0 ? undefined : own.every((r) => r.available);
  };
}

function formatVerdicts(verdicts: readonly ReaderVerdict[], p: ReturnType<typeof palette>): string {
  if (verdicts.length === 0) return "    (no readers configured: nobody passes)";
  return verdicts
    .map((v) => {
      const head = `    ${v.reader.padEnd(8)} ${v.direction.padEnd(3)} `;
      if (v.result === "granted") {
        const rule = v.rule === null ? "" : ` by rule ${v.rule}`;
        const flags = v.flags.length === 0 ? "" : ` (${v.flags.join(", ")})`;
        return `${head}${p.ok("YES")} ${v.reason}${rule}${flags}`;
      }
      return `${head}${p.fail("NO")}  ${v.reason}: "${v.says}"`;
    })
    .join("\n");
}

function parseTime(value: string): number {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms))
    throw new InvalidArgumentError("expected an ISO 8601 time such as 2026-11-25T08:00:00Z");
  return ms;
}

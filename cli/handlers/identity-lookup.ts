import { withGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { LockoutTracker } from "../../daemon/state/lockout-tracker.js";
import { ModeStore } from "../../daemon/state/mode-store.js";
import { PresenceStore } from "../../daemon/state/presence-store.js";
import { ReaderGuesses } from "../../daemon/state/reader-guesses.js";
import { credentialJson, formatCredential } from "../ops/credential-text.js";
import { type DaemonAnswer, fetchDaemonStatus } from "../ops/daemon-status.js";
import { escapeLine } from "../ops/escape-control.js";
import { findCredentials } from "../ops/find-credentials.js";
import { gateTimeFormatter } from "../ops/gate-time.js";
import { type ReaderVerdict, wouldPass } from "../ops/would-pass.js";
import { palette, printJson } from "../output.js";

/** Said with every verdict: the lookup has no token to check. */
export const TOKEN_ASSUMPTION = "assumes a valid, unused token (the lookup has none to check)";

/**
 * `passgate identity lookup`: the credentials of a person or id (never key material) and
 * what `decide()` would answer at each reader at `now`, read from the database read-only.
 * Times in the gate's time zone unless `utc`; what came from the registry is printed
 * through `escapeLine`. Sets exit code 1 when nothing is found.
 */
export async function identityLookup(
  config: Config,
  what: string,
  options: { readonly json?: boolean; readonly utc?: boolean },
  now: number,
): Promise<void> {
  const daemon = await fetchDaemonStatus(config);
  const found = withGateDatabase(config.storage, "read", (db) => {
    const allowlist = SqliteAllowlistStore.open(db);
    const facts = {
      mode: ModeStore.load(db, { mode: config.policy.mode, since: now, source: "config" }),
      lockout: new LockoutTracker(db, config.policy.lockout),
      guesses: new ReaderGuesses(db, config.policy.guessLimit),
      presence: new PresenceStore(db),
      allowlist,
      relayAvailable: relayAvailability(daemon),
    };
    return findCredentials(db, allowlist, what).map((c) => ({
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
    process.stdout.write(`no credential or person "${escapeLine(what)}" in the allowlist\n`);
  } else {
    const p = palette(process.stdout);
    const formatTime = gateTimeFormatter(config.timezone, options.utc);
    const blocks = found.map(
      (f) =>
        `${formatCredential(f.credential, now, formatTime)}\n  would pass (at ${formatTime(now)}, ${TOKEN_ASSUMPTION}):\n${formatVerdicts(f.verdicts, p)}`,
    );
    process.stdout.write(`${blocks.join("\n\n")}\n`);
  }
  if (found.length === 0) process.exitCode = 1;
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
      const head = `    ${escapeLine(v.reader).padEnd(8)} ${v.direction.padEnd(3)} `;
      if (v.result === "granted") {
        const rule = v.rule === null ? "" : ` by rule ${escapeLine(v.rule)}`;
        const flags = v.flags.length === 0 ? "" : ` (${v.flags.join(", ")})`;
        return `${head}${p.ok("YES")} ${v.reason}${rule}${flags}`;
      }
      return `${head}${p.fail("NO")}  ${v.reason}: "${escapeLine(v.says)}"`;
    })
    .join("\n");
}

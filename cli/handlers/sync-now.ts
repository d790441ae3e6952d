import { withGateDatabase } from "../../app/gate-database.js";
import { type Config, syncedRegistry } from "../../config/schema.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { Journal } from "../../daemon/journal/journal.js";
import type { Clock } from "../../platform/clock.js";
import { backlogSize } from "../../sync/event-uploader.js";
import { LogProgress, TtyProgressBar } from "../../sync/progress.js";
import type { PullOutcome, RosterPull } from "../../sync/registry-sync.js";
import { createRegistrySync } from "../../sync/start-sync.js";
import { SyncStateStore } from "../../sync/sync-state.js";
import { createCliLogger } from "../cli-logger.js";
import { escapeLine } from "../ops/escape-control.js";

/** How often a pull's progress is logged when stderr is not a terminal, ms. */
const PROGRESS_LOG_INTERVAL_MS = 5000;

/**
 * `passgate sync now [--snapshot]`: one pull and one upload in this process, on the
 * database opened for writing beside a running daemon (the allowlist switch is atomic and
 * the upload cursor never moves back). Sets exit code 1 when the pull or upload failed;
 * throws when no registry is configured.
 */
export async function syncNow(
  config: Config,
  options: { readonly snapshot?: boolean },
  clock: Clock,
): Promise<void> {
  if (syncedRegistry(config) === undefined)
    throw new Error(
      "no `registry.url` in the config, nothing to sync with — add one (docs/config.md) or load a file with passgate allowlist import FILE",
    );
  await withGateDatabase(config.storage, "write", async (db) => {
    const stderr = process.stderr;
    const loop = createRegistrySync(config, {
      db,
      store: SqliteAllowlistStore.open(db),
      journal: Journal.open(db),
      clock,
      logger: createCliLogger("warn"),
      progress: () =>
        stderr.isTTY
          ? new TtyProgressBar(stderr)
          : new LogProgress(createCliLogger("info"), PROGRESS_LOG_INTERVAL_MS),
    });
    const outcome = await loop.pullOnce(options.snapshot === true ? { snapshot: true } : {});
    const pulled = describePull(outcome);
    process.stdout.write(`${pulled.text}\n`);
    const roster = describeRoster(loop.lastRoster);
    if (roster !== undefined) process.stdout.write(`${roster}\n`);
    const upload = await loop.uploadOnce();
    const backlog = backlogSize(Journal.open(db), SyncStateStore.open(db));
    if (upload.failure === undefined)
      process.stdout.write(`uploaded ${upload.sent} events; backlog ${backlog}\n`);
    else
      process.stdout.write(
        `event upload failed after ${upload.sent} events (${escapeLine(upload.failure.message)}); backlog ${backlog}\n`,
      );
    if (!pulled.ok || upload.failure !== undefined) process.exitCode = 1;
  });
}

/** The roster's line of `sync now`; undefined when no roster pull ran (the allowlist pull failed). */
function describeRoster(pulled: RosterPull | undefined): string | undefined {
  if (pulled === undefined) return undefined;
  switch (pulled.kind) {
    case "applied":
      return `roster v${pulled.version} applied: ${pulled.members} members`;
    case "not_modified":
    case "not_newer":
      return "roster is up to date";
    case "absent":
      return "the registry keeps no roster for this site (members from passgate trust add stay)";
    case "refused":
      return `roster refused (${pulled.reason}): ${escapeLine(pulled.message)}; the roster in force is unchanged`;
    default:
      return `roster not fetched (${pulled.kind}): ${escapeLine(pulled.message)}`;
  }
}

function describePull(outcome: PullOutcome): { ok: boolean; text: string } {
  switch (outcome.kind) {
    case "applied": {
      const r = outcome.result;
      return {
        ok: true,
        text: `allowlist ${r.kind} v${r.to} applied: ${r.count} credentials in force (${r.puts} put, ${r.dels} del)`,
      };
    }
    case "not_modified":
      return { ok: true, text: "allowlist is up to date (304)" };
    case "refused":
      return {
        ok: false,
        text: `registry body refused (${outcome.reason}): ${escapeLine(outcome.message)}; the allowlist in force is unchanged`,
      };
    default:
      // Messages can quote what the registry or the network said.
      return { ok: false, text: `pull failed (${outcome.kind}): ${escapeLine(outcome.message)}` };
  }
}

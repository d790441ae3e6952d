import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import type { Config } from "../../config/schema.js";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import { Journal } from "../../daemon/journal/journal.js";
import { type Clock, systemClock } from "../../platform/clock.js";
import { openDatabase } from "../../platform/database/database.js";
import { backlogSize } from "../../sync/event-uploader.js";
import { LogProgress, TtyProgressBar } from "../../sync/progress.js";
import type { PullOutcome } from "../../sync/registry-sync.js";
import { createRegistrySync } from "../../sync/start-sync.js";
import { SyncStateStore } from "../../sync/sync-state.js";
import { createCliLogger } from "../cli-logger.js";
import { helpAfter } from "../output.js";

/**
 * `passgate sync now [--snapshot]` and `passgate sync status [--json]` (docs/sync.md).
 * Both work on the gate's database beside a running daemon: `now` pulls and uploads once
 * in this process (the allowlist switch is atomic and the upload cursor never moves back),
 * `status` reads what the daemon recorded. Exit codes: 0 done, 1 the pull or upload failed.
 */
export function registerSyncCommand(
  program: Command,
  loadConfig: () => Config,
  clock: Clock = systemClock,
): void {
  const sync = program.command("sync").description("registry sync: pull the allowlist, upload events");
  helpAfter(sync, {
    examples: ["passgate sync now", "passgate sync now --snapshot", "passgate sync status --json"],
  });

  const now = sync
    .command("now")
    .description("pull the allowlist from the registry and upload the event backlog, now")
    .option("--snapshot", "ask for a full snapshot instead of a delta")
    .action(async (options: { snapshot?: boolean }) => {
      const config = loadConfig();
      if (config.registry === undefined)
        throw new Error(
          "no `registry:` in the config, nothing to sync with — add one (docs/config.md) or load a file with passgate allowlist import FILE",
        );
      const db = openGateDb(config);
      try {
        const logger = createCliLogger("warn");
        const stderr = process.stderr;
        const loop = createRegistrySync(config, {
          db,
          store: SqliteAllowlistStore.open(db),
          journal: Journal.open(db),
          clock,
          logger,
          progress: () =>
            stderr.isTTY ? new TtyProgressBar(stderr) : new LogProgress(createCliLogger("info"), 5000),
        });
        const outcome = await loop.pullOnce(options.snapshot === true ? { snapshot: true } : {});
        const pulled = describePull(outcome);
        process.stdout.write(`${pulled.text}\n`);
        const upload = await loop.uploadOnce();
        const state = SyncStateStore.open(db);
        const backlog = backlogSize(Journal.open(db), state);
        if (upload.failure === undefined)
          process.stdout.write(`uploaded ${upload.sent} events; backlog ${backlog}\n`);
        else
          process.stdout.write(
            `event upload failed after ${upload.sent} events (${upload.failure.message}); backlog ${backlog}\n`,
          );
        if (!pulled.ok || upload.failure !== undefined) process.exitCode = 1;
      } finally {
        db.close();
      }
    });

  helpAfter(now, {
    notes:
      "Safe beside a running gate: the allowlist switch is atomic and the upload cursor never moves back. Progress shows on a terminal only.",
    exitCodes:
      "0 pulled (or up to date) and uploaded; 1 the pull or the upload failed (the reason is printed), or no registry is configured.",
    examples: ["passgate sync now", "passgate --config /etc/passgate/passgate.yaml sync now --snapshot"],
  });

  const status = sync
    .command("status")
    .description("registry, allowlist version and age, last error, event backlog, next attempt")
    .option("--json", "one JSON object")
    .action((options: { json?: boolean }) => {
      const config = loadConfig();
      const db = openGateDb(config);
      try {
        const status = readStatus(config, db, clock.now());
        if (options.json === true) process.stdout.write(`${JSON.stringify(status)}\n`);
        else process.stdout.write(formatStatus(status));
      } finally {
        db.close();
      }
    });
  helpAfter(status, {
    notes: "Reads what the gate recorded; works whether or not the daemon is running.",
    exitCodes: "0 shown; 1 the config or database cannot be read.",
    examples: [
      "passgate sync status",
      "passgate sync status --json | jq '{version, ageSeconds, lastError, backlog}'",
    ],
  });
}

function openGateDb(config: Config) {
  mkdirSync(dirname(config.storage.path), { recursive: true });
  return openDatabase(config.storage.path, { synchronous: config.storage.synchronous });
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
        text: `registry body refused (${outcome.reason}): ${outcome.message}; the allowlist in force is unchanged`,
      };
    default:
      return { ok: false, text: `pull failed (${outcome.kind}): ${outcome.message}` };
  }
}

/** What `sync status --json` prints. Times are ISO-8601, ages in seconds. */
export interface SyncStatusReport {
  readonly registry: string | null;
  readonly site: string;
  readonly version: number | null;
  readonly credentials: number;
  readonly syncedAt: string | null;
  readonly ageSeconds: number | null;
  readonly lastAttemptAt: string | null;
  readonly lastSuccessAt: string | null;
  readonly lastError: string | null;
  readonly lastErrorCode: string | null;
  readonly failures: number;
  readonly stopped: boolean;
  readonly nextAttemptAt: string | null;
  readonly refused: Readonly<Record<string, number>>;
  readonly backlog: number;
  readonly uploadedAt: string | null;
  readonly uploadError: string | null;
}

export function readStatus(
  config: Config,
  db: ReturnType<typeof openDatabase>,
  now: number,
): SyncStatusReport {
  const stats = SqliteAllowlistStore.open(db).stats();
  const state = SyncStateStore.open(db);
  const s = state.get();
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    registry: config.registry?.url ?? null,
    site: config.site,
    version: stats.version,
    credentials: stats.count,
    syncedAt: iso(stats.syncedAt),
    ageSeconds: stats.syncedAt === null ? null : Math.max(0, Math.round((now - stats.syncedAt) / 1000)),
    lastAttemptAt: iso(s.lastAttemptAt),
    lastSuccessAt: iso(s.lastSuccessAt),
    lastError: s.lastError,
    lastErrorCode: s.lastErrorCode,
    failures: s.failures,
    stopped: s.stoppedFor !== null,
    nextAttemptAt: iso(s.nextAttemptAt),
    refused: s.refused,
    backlog: backlogSize(Journal.open(db), state),
    uploadedAt: iso(s.uploadedAt),
    uploadError: s.uploadError,
  };
}

function formatStatus(s: SyncStatusReport): string {
  const age = s.ageSeconds === null ? "never synced" : `${formatAge(s.ageSeconds)} old`;
  const refused = Object.entries(s.refused)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ");
  const lines = [
    ["registry", s.registry ?? "(none configured)"],
    ["allowlist", `${s.version === null ? "none" : `v${s.version}`}, ${s.credentials} credentials, ${age}`],
    ["last success", s.lastSuccessAt ?? "never"],
    [
      "last error",
      s.lastError === null ? "none" : `${s.lastErrorCode}: ${s.lastError} (${s.failures} in a row)`,
    ],
    [
      "next attempt",
      s.stopped ? "stopped: the registry refused the token (fix it and restart)" : (s.nextAttemptAt ?? "—"),
    ],
    ["refused bodies", refused === "" ? "none" : refused],
    [
      "event backlog",
      `${s.backlog}${s.uploadError === null ? "" : ` (last upload error: ${s.uploadError})`}`,
    ],
    ["last upload", s.uploadedAt ?? "never"],
  ];
  return `${lines.map(([k, v]) => `${`${k}:`.padEnd(16)}${v}`).join("\n")}\n`;
}

export function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

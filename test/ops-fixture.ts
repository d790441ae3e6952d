import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { openGateDatabase } from "../app/gate-database.js";
import { applyAllowlistBody } from "../daemon/allowlist/apply-body.js";
import { SqliteAllowlistStore } from "../daemon/allowlist/sqlite-allowlist-store.js";
import { EXAMPLE_PATH, EXAMPLE_SITE, EXAMPLE_TRUST } from "../daemon/allowlist/testing/test-bodies.js";
import { Journal } from "../daemon/journal/journal.js";
import type { JournalRecord } from "../daemon/journal/journal-entry.js";
import { type Db, openDatabase } from "../platform/database/database.js";

/**
 * A gate's folder for the operations commands' tests: a config (`gate.yaml`) and its
 * database (`gate.db`) holding the spec's example allowlist (v7: 42 staff, 1001 student
 * and staff, 1002 suspended, 2001 student) and journal entries the test appends.
 */
export class OpsGate {
  readonly dir = mkdtempSync(join(tmpdir(), "passgate-ops-"));
  readonly config = join(this.dir, "gate.yaml");
  readonly dbPath = join(this.dir, "gate.db");

  /** Writes the config: the example's site, one reader `in` (stdin unless `source`), a log relay, plus `extra` YAML. */
  writeConfig(extra = "", source = "{ type: stdin }"): string {
    writeFileSync(
      this.config,
      `site: ${EXAMPLE_SITE}\ngate: main-1\ntimezone: Europe/Moscow\nstorage:\n  path: ${this.dbPath}\n` +
        `readers:\n  - id: in\n    direction: in\n    source: ${source}\n` +
        "relays:\n  - id: turnstile\n    reader: in\n    driver: { type: log }\n" +
        extra,
    );
    return this.config;
  }

  /** Creates the database as the daemon does and imports the example allowlist, synced at `syncedAt`. */
  async seed(syncedAt = Date.now()): Promise<void> {
    const db = openGateDatabase({ path: this.dbPath, synchronous: "normal" }, "write");
    try {
      const store = SqliteAllowlistStore.open(db);
      const result = await applyAllowlistBody(store, createReadStream(EXAMPLE_PATH), {
        site: EXAMPLE_SITE,
        trustedKeys: EXAMPLE_TRUST,
        now: syncedAt,
      });
      if (!result.ok) throw new Error(`example allowlist refused: ${result.reason}`);
    } finally {
      db.close();
    }
  }

  /** Applies a signed allowlist body (daemon/allowlist/testing/test-bodies.ts) as a sync would; throws if refused. */
  async applyBody(body: string, now = Date.now()): Promise<void> {
    const db = openGateDatabase({ path: this.dbPath, synchronous: "normal" }, "write");
    try {
      const result = await applyAllowlistBody(SqliteAllowlistStore.open(db), Readable.from([body]), {
        site: EXAMPLE_SITE,
        trustedKeys: EXAMPLE_TRUST,
        now,
      });
      if (!result.ok) throw new Error(`body refused: ${result.reason}`);
    } finally {
      db.close();
    }
  }

  /** Opens the database for the test to change; the caller closes it. */
  open(): Db {
    return openDatabase(this.dbPath);
  }

  /** Appends `n` decision entries at `at`, `at + step`, … */
  appendDecisions(n: number, at: number, step = 1000, record: Partial<JournalRecord> = {}): void {
    const db = this.open();
    try {
      const journal = Journal.open(db);
      db.transaction(() => {
        for (let i = 0; i < n; i++) journal.append(decision(at + i * step, i, record));
      })();
    } finally {
      db.close();
    }
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A decision entry for credential 1001 at `at`. */
export function decision(at: number, step: number, record: Partial<JournalRecord> = {}): JournalRecord {
  return {
    kind: "decision",
    at,
    gate: "main-1",
    reader: "in",
    direction: "in",
    credential: "1001",
    person: "p-1001",
    step,
    result: "granted",
    reason: "ok",
    data: { rule: "staff" },
    ...record,
  };
}

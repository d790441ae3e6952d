import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteAllowlistStore } from "../../daemon/allowlist/sqlite-allowlist-store.js";
import {
  EXAMPLE_KEY_ID,
  EXAMPLE_SITE,
  EXAMPLE_TRUST,
  RFC_TEST2_PRIVATE,
  registryCredential,
} from "../../daemon/allowlist/testdata/test-bodies.js";
import { Journal } from "../../daemon/journal/journal.js";
import { createLogger, type Logger } from "../../daemon/log/logger.js";
import { systemClock } from "../../daemon/ports/clock.js";
import { type Db, openDatabase } from "../../daemon/store/database.js";
import { RegistryServer } from "../../sim/registry/registry-server.js";
import { EventUploader } from "../event-uploader.js";
import { HttpRegistryClient } from "../http-registry-client.js";
import type { RegistryClient } from "../registry-client.js";
import { RegistrySync, type RegistrySyncParts, type RegistrySyncSettings } from "../registry-sync.js";
import { SyncStateStore } from "../sync-state.js";

export const SITE = EXAMPLE_SITE;
export const GOOD_TOKEN = "gate-token-good";

/** A gate's database with the allowlist, journal and sync tables, in a temp folder. */
export class GateDb {
  readonly dir = mkdtempSync(join(tmpdir(), "passgate-sync-"));
  readonly path = join(this.dir, "gate.db");
  db: Db;
  store: SqliteAllowlistStore;
  journal: Journal;
  state: SyncStateStore;

  constructor() {
    this.db = openDatabase(this.path);
    this.store = SqliteAllowlistStore.open(this.db);
    this.journal = Journal.open(this.db);
    this.state = SyncStateStore.open(this.db);
  }

  /** Closes and opens the database again: what a restart (or a crash) leaves. */
  reopen(): void {
    this.db.close();
    this.db = openDatabase(this.path);
    this.store = SqliteAllowlistStore.open(this.db);
    this.journal = Journal.open(this.db);
    this.state = SyncStateStore.open(this.db);
  }

  /** Everything the allowlist is: meta row and every credential row, to compare before/after. */
  dump(): string {
    const meta = this.db.prepare("SELECT * FROM allowlist_meta").all();
    const rows = this.db.prepare("SELECT id, body FROM allowlist_credential ORDER BY id").all();
    return JSON.stringify({ meta, rows });
  }

  close(): void {
    this.db.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A logger whose lines tests can read. */
export function memoryLogger(): { logger: Logger; lines: () => Record<string, unknown>[] } {
  const out: string[] = [];
  const logger = createLogger({ level: "debug", destination: { write: (s: string) => out.push(s) } });
  return { logger, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

export function startRegistry(options: { token?: string | null; deltaWindow?: number } = {}): {
  server: RegistryServer;
  url: Promise<string>;
} {
  const server = new RegistryServer({
    site: SITE,
    token: options.token === undefined ? GOOD_TOKEN : options.token,
    keyId: EXAMPLE_KEY_ID,
    privateKey: RFC_TEST2_PRIVATE,
    ...(options.deltaWindow === undefined ? {} : { deltaWindow: options.deltaWindow }),
  });
  return { server, url: server.start() };
}

export const put = (id: number, fields: object = {}) =>
  ({ type: "put", credential: registryCredential(id, fields) }) as const;
export const del = (id: number) => ({ type: "del", id: String(id) }) as const;

export function syncSettings(url: string, over: Partial<RegistrySyncSettings> = {}): RegistrySyncSettings {
  return {
    registry: url,
    site: SITE,
    trustedKeys: EXAMPLE_TRUST,
    pollInterval: 3_600_000,
    backoff: { initial: 20, max: 100 },
    uploadInterval: 3_600_000,
    fingerprint: `fp-${GOOD_TOKEN}`,
    ...over,
  };
}

/** A sync loop over real HTTP to `url` with `token`. */
export function httpSync(
  gate: GateDb,
  url: string,
  options: {
    token?: string | null;
    settings?: Partial<RegistrySyncSettings>;
    parts?: Partial<RegistrySyncParts>;
    logger?: Logger;
  } = {},
): { sync: RegistrySync; client: RegistryClient } {
  const token = options.token === undefined ? GOOD_TOKEN : options.token;
  const client = new HttpRegistryClient({ url, site: SITE, token, timeoutMs: 20_000 });
  const sync = new RegistrySync(syncSettings(url, { fingerprint: `fp-${token}`, ...options.settings }), {
    client,
    store: gate.store,
    state: gate.state,
    uploader: new EventUploader(gate.journal, gate.state, client, { batch: 4, now: () => Date.now() }),
    clock: systemClock,
    logger: options.logger ?? createLogger({ level: "silent" }),
    random: () => 0.5,
    ...options.parts,
  });
  return { sync, client };
}

/** Polls `condition` every 10 ms until it holds or `timeoutMs` passes (then throws). */
export async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

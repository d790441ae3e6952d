import { generateKeyPairSync } from "node:crypto";
import { Writable } from "node:stream";
import { configSchema } from "../../config/schema.js";
import { credentialSchema } from "../../daemon/allowlist/credential.js";
import { FakeAllowlistStore } from "../../daemon/allowlist/testing/fake-allowlist-store.js";
import { gateOnDatabase } from "../../daemon/gate/testing/gate-on-database.js";
import { publicKeyText } from "../../daemon/trust/key-file.js";
import { encodeEd25519Token } from "../../daemon/verify/pg1-encoder.js";
import { TokenVerifier } from "../../daemon/verify/verify-token.js";
import { createLogger } from "../../platform/log/logger.js";
import { FakeClock } from "../../platform/testing/fake-clock.js";
import { StorageComponent } from "../components/storage.js";

/**
 * A gate on its real storage component (the database file, the run record, the WAL
 * checkpointer) with two students, 1001 and 1002, whose codes `code()` makes: for tests of
 * what a restart, a power cut or a restored backup leaves of the replay protection.
 */
const phone = generateKeyPairSync("ed25519");
const allowlist = new FakeAllowlistStore();
for (const id of ["1001", "1002"]) {
  allowlist.put(
    credentialSchema.parse({
      id,
      person: `p-${id}`,
      roles: ["student"],
      status: "active",
      scheme: "ed25519",
      ed25519: { publicKey: publicKeyText(phone.publicKey) },
    }),
  );
}

/** A student's code for `step`. */
export function code(credential: "1001" | "1002", step: number): string {
  return encodeEd25519Token(credential, step, phone.privateKey);
}

export interface StorageGate {
  readonly storage: StorageComponent;
  readonly clock: FakeClock;
  /** Decides one scan at reader `in`: `result:reason`. */
  scan(token: string): string;
  /** Every log line so far. */
  readonly logs: string[];
}

/** Starts the storage component on `path` as `passgate run` does, in the machine boot `bootId`, at `at`; the caller stops it. */
export async function startStorageGate(path: string, bootId: string, at: number): Promise<StorageGate> {
  const config = configSchema.parse({
    site: "demo-campus",
    gate: "main-1",
    timezone: "Europe/Moscow",
    storage: { path },
    policy: { rules: [{ name: "everyone", roles: ["student"] }] },
  });
  const clock = new FakeClock(at);
  const logs: string[] = [];
  const logger = createLogger({
    level: "info",
    destination: new Writable({
      write(chunk, _enc, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  });
  const storage = new StorageComponent(config, { clock, logger, bootId: () => bootId });
  await storage.start();
  const { db, journal, replay, presence, mode } = storage.stores;
  const gate = gateOnDatabase(db, allowlist, config, at, {
    settings: { window: config.token.window },
    parts: {
      verifier: new TokenVerifier(config.token.window),
      journal,
      replay,
      presence,
      mode,
      clock,
      logger,
    },
  });
  const scan = (token: string) => {
    const { decision } = gate.handleScan(token, { id: "in", direction: "in" });
    return `${decision.result}:${decision.reason}`;
  };
  return { storage, clock, scan, logs };
}

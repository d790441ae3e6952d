import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openGateDatabase } from "../app/gate-database.js";
import { type Config, configSchema } from "../config/schema.js";

/**
 * A gate config in `dir` with one stdin reader and one relay driven by `driver` (pulse
 * 800 ms, confirmation within 1 s) on the broker at `brokerUrl`: what `relay test` reads.
 * The database is created with every component, as a gate's is before anything reads it.
 */
export function relayGateConfig(
  dir: string,
  name: string,
  driver: Record<string, unknown>,
  brokerUrl: string,
): { readonly file: string; readonly config: Config } {
  const raw = {
    site: "relay-site",
    gate: name,
    timezone: "UTC",
    storage: { path: join(dir, `${name}.db`) },
    mqtt: { url: brokerUrl, confirmTimeout: "1s" },
    readers: [{ id: "in", direction: "in", source: { type: "stdin" } }],
    relays: [{ id: "turnstile", reader: "in", driver, pulse: "800ms" }],
  };
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(raw));
  const config = configSchema.parse(raw);
  openGateDatabase(config.storage, "write").close();
  return { file, config };
}

import { formatStats, statsJson } from "../ops/allowlist-text.js";
import { safeJson } from "../ops/escape-control.js";
import { gateTimeFormatter } from "../ops/gate-time.js";
import { type OpenAllowlistStore, withAllowlistStore } from "./allowlist-store.js";

/** `passgate allowlist stats [--json]`: site, version, size and age, read from the database opened read-only; times in the gate's zone unless `utc`. */
export async function allowlistStats(
  open: OpenAllowlistStore,
  options: { readonly json?: boolean; readonly utc?: boolean },
  now: number,
): Promise<void> {
  await withAllowlistStore(open, "read", (env, store) => {
    const stats = store.stats();
    const text =
      options.json === true
        ? safeJson(statsJson(stats, now))
        : formatStats(stats, now, gateTimeFormatter(env.timezone, options.utc));
    process.stdout.write(`${text}\n`);
  });
}

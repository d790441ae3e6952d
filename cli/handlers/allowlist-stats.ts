import { formatStats, statsJson } from "../ops/allowlist-text.js";
import { type OpenAllowlistStore, withAllowlistStore } from "./allowlist-store.js";

/** `passgate allowlist stats [--json]`: site, version, size and age, read from the database opened read-only. */
export async function allowlistStats(
  open: OpenAllowlistStore,
  options: { readonly json?: boolean },
  now: number,
): Promise<void> {
  await withAllowlistStore(open, "read", (_env, store) => {
    const stats = store.stats();
    const text = options.json === true ? JSON.stringify(statsJson(stats, now)) : formatStats(stats, now);
    process.stdout.write(`${text}\n`);
  });
}

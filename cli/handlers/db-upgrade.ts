import { type SchemaUpgrade, upgradeGateDatabase } from "../../app/gate-database.js";
import type { Config } from "../../config/schema.js";
import { printJson } from "../output.js";

/**
 * `passgate db upgrade [--json]`: brings the existing database to this passgate's schema,
 * as the daemon's start does, and prints what each component went from and to. Throws
 * NoDatabaseError (exit 1) when there is no database: it never creates one.
 */
export function dbUpgrade(config: Config, options: { readonly json?: boolean }): void {
  const path = config.storage.path;
  const steps = upgradeGateDatabase(config.storage);
  if (options.json === true) {
    printJson({
      path,
      components: steps.map((s) => ({ component: s.component, from: s.from ?? null, to: s.to })),
    });
    return;
  }
  const changed = steps.filter((s) => s.from !== s.to);
  const head =
    changed.length === 0
      ? `the database at ${path} already has this passgate's schema`
      : `upgraded the database at ${path}`;
  process.stdout.write(`${head}:\n${steps.map(describeStep).join("\n")}\n`);
}

/** `  gate-state  none → v1`, `  journal     v2 (current)` */
function describeStep(s: SchemaUpgrade): string {
  const name = s.component.padEnd(11);
  if (s.from === s.to) return `  ${name} v${s.to} (current)`;
  return `  ${name} ${s.from === undefined ? "none" : `v${s.from}`} → v${s.to}`;
}

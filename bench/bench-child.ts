import { scansDuringSync } from "./scan-during-sync-bench.js";
import { applySnapshotFrom } from "./sync-bench.js";

/**
 * The gate side of a bench in a process of its own (bench/child-process.ts): argv is the
 * scenario and its JSON arguments; the result is one JSON line on stdout, progress on stderr.
 */
const [scenario, json] = process.argv.slice(2);
const args = JSON.parse(json ?? "{}");
const log = (m: string) => process.stderr.write(`${m}\n`);
const result =
  scenario === "snapshot"
    ? await applySnapshotFrom(args.url, args.dbPath)
    : scenario === "during-sync"
      ? await scansDuringSync(args.url, args.storePath, args.count, log)
      : undefined;
if (result === undefined) throw new Error(`unknown bench scenario ${scenario}`);
process.stdout.write(`${JSON.stringify(result)}\n`);

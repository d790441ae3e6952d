import { join } from "node:path";
import type { BenchResult } from "./bench-result.js";
import { benchBridge } from "./bridge-bench.js";
import { benchConsole } from "./console-bench.js";
import { benchMqttScanToRelay } from "./mqtt-bench.js";
import { benchScanDuringSync } from "./scan-during-sync-bench.js";
import { benchScanPath, cachedStore } from "./scan-path-bench.js";
import { benchScanThroughput } from "./scan-throughput-bench.js";
import { benchSignedMessageVerify } from "./signed-message-bench.js";
import { benchSiteAcrossBrokers } from "./site-brokers-bench.js";
import { benchSiteOutbox } from "./site-outbox-bench.js";
import { benchScanUnderSiteShare } from "./site-share-bench.js";
import { benchSync } from "./sync-bench.js";

/**
 * `npm run bench [-- --json]`: benchmarks, each against a floor measured in the same run
 * (the machines are shared: compare ratios, not absolute times). With --json, one JSON
 * object per line on stdout; progress goes to stderr.
 */
const json = process.argv.includes("--json");
const quick = process.argv.includes("--quick");
const progress = (m: string) => process.stderr.write(`${m}\n`);
/** `--only bridge` (a word of the benchmarks' names) runs just those: for work on one path. */
const onlyAt = process.argv.indexOf("--only");
const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
const wanted = (name: string) => only === undefined || name.includes(only);

const cacheDir = process.env.PASSGATE_BENCH_CACHE ?? join(process.cwd(), ".bench-cache");
const count = quick ? 100_000 : 1_000_000;
const results: BenchResult[] = [];
const needsStore = ["scan", "throughput", "site", "sync", "during_sync"].some(wanted);
const storePath = needsStore ? await cachedStore(cacheDir, count, progress) : "";

for (const scheme of wanted("scan") ? (["ed25519", "totp"] as const) : []) {
  progress(`bench: scan → journal, ${scheme}…`);
  results.push(
    await benchScanPath(storePath, scheme, {
      people: quick ? 1000 : 5000,
      steps: quick ? 2 : 4,
      credentials: count,
    }),
  );
}

if (wanted("throughput")) {
  progress("bench: decisions per second, every one journaled…");
  results.push(
    await benchScanThroughput(storePath, {
      people: quick ? 1000 : 5000,
      steps: quick ? 2 : 4,
      credentials: count,
    }),
  );
}

if (wanted("site")) {
  progress("bench: scan → journal under signed site records at 200/s…");
  results.push(
    await benchScanUnderSiteShare(storePath, {
      people: quick ? 2000 : 5000,
      steps: quick ? 2 : 4,
      credentials: count,
      recordsPerSecond: 200,
    }),
  );
}
if (wanted("site_outbox")) {
  progress("bench: the site outbox's commit beside a grant's…");
  results.push(benchSiteOutbox(quick ? 5_000 : 20_000));
}
if (wanted("signed")) {
  progress("bench: signed message verify…");
  results.push(await benchSignedMessageVerify(quick ? 5_000 : 30_000));
}
if (wanted("sync")) results.push(...(await benchSync(cacheDir, count, quick ? 1000 : 10_000, progress)));
if (wanted("during_sync")) results.push(await benchScanDuringSync(storePath, cacheDir, count, progress));
if (wanted("mqtt")) results.push(...(await benchMqttScanToRelay(quick ? 200 : 5000, progress)));
if (wanted("bridge")) results.push(...(await benchBridge(quick ? 300 : 10_000, progress)));
// `--only brokers`: a site on two bridged mosquittos (docs/scale.md).
if (wanted("brokers")) results.push(...(await benchSiteAcrossBrokers(quick ? 60 : 500, progress)));
if (wanted("console"))
  results.push(
    ...(await benchConsole({ gates: 50, peoplePerMinutePerLane: 30, seconds: quick ? 15 : 60 }, progress)),
  );

for (const r of results) {
  if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else
    process.stdout.write(
      `${r.name.padEnd(28)} n=${r.n}  p50 ${r.p50_us} µs  p99 ${r.p99_us} µs  floor p99 ${r.floor_p99_us} µs  ratio ${r.ratio.toFixed(2)}\n`,
    );
}

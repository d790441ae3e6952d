import type { Config } from "../../config/schema.js";
import type { Clock } from "../../platform/clock.js";
import { openReaderDevices } from "../../reader-bridge/reader-devices.js";
import { maskScan } from "../../reader-bridge/reader-listing.js";
import { startReaders } from "../../reader-bridge/reader-set.js";
import { createCliLogger } from "../cli-logger.js";
import { gateTimeFormatter } from "../ops/gate-time.js";

/** How often the reader's state is looked at, to print its changes, ms. */
const STATE_POLL_MS = 100;

/**
 * `passgate reader test <id>`: live scans from one configured reader, masked, with
 * rejections and state changes, until Ctrl+C (SIGINT, SIGTERM), `count` scans, or the
 * reader ends (stdin closed); then the totals. Nothing is decided, journaled or opened.
 * An unknown reader is an Error.
 */
export async function readerTest(
  config: Config,
  readerId: string,
  options: { readonly count?: number | undefined; readonly utc?: boolean | undefined },
  clock: Clock,
): Promise<void> {
  const reader = config.readers.find((r) => r.id === readerId);
  if (reader === undefined) {
    const known = config.readers.map((r) => r.id).join(", ") || "none";
    throw new Error(`no reader "${readerId}" in the config (readers: ${known})`);
  }
  const logger = createCliLogger("warn").child({ component: "reader" });
  const devices = openReaderDevices({ ...config, readers: [reader] }, logger);
  const formatTime = gateTimeFormatter(config.timezone, options.utc);
  const print = (line: string) => process.stdout.write(`${formatTime(clock.now())} ${line}\n`);
  let scans = 0;
  let finish: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const set = await startReaders(
    [reader],
    { clock, logger, stdin: process.stdin, ...devices },
    {
      scan: (_r, scan) => {
        scans++;
        print(`scan ${maskScan(scan.text)}`);
        if (options.count !== undefined && scans >= options.count) finish();
        return undefined;
      },
      rejected: (_id, reason) => print(`rejected: ${reason}`),
    },
  );
  let lastState = "";
  const stateTimer = setInterval(() => {
    const state = set.states()[reader.id] ?? "";
    if (state !== lastState) print(`state: ${state}`);
    lastState = state;
  }, STATE_POLL_MS);
  print(`reading ${reader.id} (${reader.source.type}); Ctrl+C to stop`);
  process.once("SIGINT", finish);
  process.once("SIGTERM", finish);
  try {
    await Promise.race([finished, ...set.ended]);
  } finally {
    clearInterval(stateTimer);
    process.off("SIGINT", finish);
    process.off("SIGTERM", finish);
    await set.stop();
    await devices.close();
  }
  const counts = Object.entries(set.counters.forReader(reader.id)).filter(([, n]) => n > 0);
  print(
    `${scans} scan(s); rejected: ${counts.length === 0 ? "none" : counts.map(([r, n]) => `${r} ${n}`).join(", ")}`,
  );
}

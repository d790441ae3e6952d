import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { InvalidArgumentError } from "commander";
import { maskScan } from "../../reader-bridge/reader-listing.js";
import type { ScanTerminator } from "../../sim/scanners/scan-typing.js";
import { SerialScannerEmulator } from "../../sim/scanners/serial-scanner-emulator.js";
import type { SimScannerOptions } from "../commands/sim-device-commands.js";
import { untilStopSignal } from "./until-stop-signal.js";

const TERMINATORS: readonly ScanTerminator[] = ["cr", "lf", "crlf"];

/**
 * `passgate sim scanner`: a serial scanner on a socat pty at `--pty`; every non-empty line
 * of stdin is typed into it as one scan. Runs until SIGINT or SIGTERM, then removes the pty.
 */
export async function runSimScanner(opts: SimScannerOptions): Promise<void> {
  const terminator = TERMINATORS.find((t) => t === opts.terminator);
  if (terminator === undefined)
    throw new InvalidArgumentError(`--terminator: expected one of ${TERMINATORS.join(", ")}`);
  // The scanner's own end of the pty: private, and gone with the command.
  const dir = mkdtempSync(join(tmpdir(), "passgate-scanner-"));
  const scanner = new SerialScannerEmulator(opts.pty, join(dir, "device"), { terminator });
  try {
    await scanner.start();
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `cannot make the pty ${opts.pty} (is socat installed, is the path free?): ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const out = process.stdout;
  out.write(`scanner on ${opts.pty}: type a code and Enter to scan it (Ctrl-C to stop)\n`);
  let count = 0;
  // One scan at a time, in the order the lines came, as a person scans.
  let queue = Promise.resolve();
  const lines = createInterface({ input: process.stdin, terminal: false });
  lines.on("line", (line) => {
    const code = line.trim();
    if (code === "") return;
    queue = queue.then(async () => {
      await scanner.scan(code);
      count += 1;
      // A code is a live pass: shown masked only.
      out.write(`scan ${count}: ${maskScan(code)}\n`);
    });
  });
  await untilStopSignal();
  lines.close();
  await queue.catch(() => undefined);
  await scanner.stop();
  rmSync(dir, { recursive: true, force: true });
  out.write(`stopped after ${count} scan(s)\n`);
}

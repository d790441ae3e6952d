import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCliInProcess } from "./cli-harness.js";

/** The flags of a typical gate: a USB serial entry reader, a stdin exit reader, a Tasmota relay. */
export const TYPICAL_GATE_FLAGS = [
  ...["--site", "north-campus", "--gate", "main-1", "--timezone", "Europe/Moscow"],
  ...["--reader", "in=usb:0c2e:0b61", "--reader", "out=stdin"],
  ...["--relay-kind", "tasmota", "--relay-topic", "turnstile-1", "--broker", "mqtt://127.0.0.1:1883"],
];

/**
 * Temp configs for CLI tests: the first is written by `passgate init` from flags, the
 * rest are copies of it (one `init` instead of one per test).
 */
export class InitGates {
  readonly dir = mkdtempSync(join(tmpdir(), "passgate-init-gates-"));
  private base: string | undefined;
  private count = 0;

  /** Runs `passgate init` with the typical flags plus `extra`; throws with its stderr if it fails. */
  async init(extra: readonly string[] = []): Promise<string> {
    const file = join(this.dir, `gate-${++this.count}.yaml`);
    const result = await runCliInProcess([
      "init",
      ...TYPICAL_GATE_FLAGS,
      ...["--storage", join(this.dir, "gate.db"), "--output", file],
      ...extra,
    ]);
    if (result.code !== 0) throw new Error(`passgate init failed (${result.code}): ${result.stderr}`);
    return file;
  }

  /** A fresh copy of the typical gate's config. */
  async fresh(): Promise<string> {
    this.base ??= await this.init();
    const file = join(this.dir, `gate-${++this.count}.yaml`);
    copyFileSync(this.base, file);
    return file;
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

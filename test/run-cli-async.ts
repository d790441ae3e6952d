import { spawn } from "node:child_process";
import type { CliResult } from "./run-cli.js";
import { cliArgv, repoRoot } from "./run-cli.js";

/**
 * `runCli` without blocking this process: for tests whose own event loop must keep
 * running meanwhile, e.g. an in-process device emulator that answers the CLI over MQTT.
 */
export function runCliAsync(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, cliArgv(args), {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, PASSGATE_CONFIG: "", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((resolve) => {
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

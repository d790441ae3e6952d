import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const repoRoot = fileURLToPath(new URL("..", import.meta.url));
export const sharedSpec = fileURLToPath(new URL("../../shared/spec/", import.meta.url));

/**
 * Node's arguments that run the built passgate CLI (`bin/passgate.js` → `dist/`) with
 * `args`: every test that spawns the CLI runs this, as an installed gate would. The test
 * run's global setup rebuilds `dist/` when a source is newer (test/global-setup.ts).
 */
export function cliArgv(args: readonly string[]): string[] {
  return [`${repoRoot}bin/passgate.js`, ...args];
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built passgate CLI in a child process, as a person at a shell would. */
export function runCli(
  args: readonly string[],
  options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): CliResult {
  const result = spawnSync(process.execPath, cliArgv(args), {
    cwd: options.cwd ?? repoRoot,
    input: options.input ?? "",
    env: { ...process.env, PASSGATE_CONFIG: "", ...options.env },
    encoding: "utf8",
    timeout: 60_000,
    // SIGTERM is a graceful stop the CLI handles: a hung child must not hold the test too.
    killSignal: "SIGKILL",
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

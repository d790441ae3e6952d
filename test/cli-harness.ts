import { Readable } from "node:stream";
import { runCli } from "../cli/run-cli.js";
import type { CliResult } from "./run-cli.js";
import { repoRoot } from "./run-cli.js";

export type { CliResult };

export interface InProcessOptions {
  /** What the command reads on stdin (not a terminal); default: nothing. */
  readonly input?: string;
  /** The working directory while the command runs; default: the repo. */
  readonly cwd?: string;
  /** Variables set on top of this process's (PASSGATE_CONFIG is cleared unless given). */
  readonly env?: NodeJS.ProcessEnv;
  /** Called with stdout as the command writes it, for a test that acts while the command runs. */
  readonly onStdout?: (text: string) => void;
}

let running = false;

/**
 * Runs `passgate <args>` inside this test process, as `cli/main.ts` would in its own: the
 * same program, parsing, actions and exit codes, with stdout and stderr captured and the
 * environment, working directory and stdin set for the call, then put back. One command
 * at a time (it borrows process-wide state); tests that need a process of their own
 * (signals, `run`, a terminal) spawn the built CLI instead (test/run-cli.ts).
 */
export async function runCliInProcess(
  args: readonly string[],
  options: InProcessOptions = {},
): Promise<CliResult> {
  if (running) throw new Error("runCliInProcess: one command at a time");
  running = true;
  const saved = {
    env: process.env,
    cwd: process.cwd(),
    exitCode: process.exitCode,
    stdout: process.stdout.write,
    stderr: process.stderr.write,
    stdin: Object.getOwnPropertyDescriptor(process, "stdin"),
  };
  let stdout = "";
  let stderr = "";
  const capture =
    (append: (text: string) => void) =>
    (chunk: string | Uint8Array, encodingOrDone?: unknown, done?: unknown): boolean => {
      append(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
      const callback = typeof encodingOrDone === "function" ? encodingOrDone : done;
      if (typeof callback === "function") queueMicrotask(() => (callback as () => void)());
      return true;
    };
  try {
    process.env = { ...saved.env, PASSGATE_CONFIG: "", ...options.env };
    process.chdir(options.cwd ?? repoRoot);
    process.exitCode = undefined;
    process.stdout.write = capture((t) => {
      stdout += t;
      options.onStdout?.(t);
    }) as typeof process.stdout.write;
    process.stderr.write = capture((t) => {
      stderr += t;
    }) as typeof process.stderr.write;
    Object.defineProperty(process, "stdin", {
      value: Readable.from(options.input === undefined ? [] : [Buffer.from(options.input)]),
      configurable: true,
      writable: true,
    });
    const code = await runCli(["node", "passgate", ...args]);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = saved.stdout;
    process.stderr.write = saved.stderr;
    if (saved.stdin !== undefined) Object.defineProperty(process, "stdin", saved.stdin);
    process.env = saved.env;
    process.chdir(saved.cwd);
    process.exitCode = saved.exitCode;
    running = false;
  }
}

import { type ChildProcess, type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { cliArgv, repoRoot } from "./run-cli.js";

/** A `passgate` CLI running as a child process, for tests that send it signals and stream stdin. */
export interface CliChild {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every JSON log line of stderr so far, parsed. */
  readonly logs: Record<string, unknown>[];
  /** Raw stdout so far. */
  stdout(): string;
  /** Resolves with the exit code (or 128 + signal number when killed by one). */
  readonly exited: Promise<number>;
  /** Writes one scan line to the CLI's stdin. */
  scan(text: string): void;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Spawns the built `passgate <args>`, as systemd or a shell would start it. */
export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): CliChild {
  const { PASSGATE_LOG_LEVEL: _level, ...inherited } = process.env;
  const child = spawn(process.execPath, cliArgv(args), {
    cwd: repoRoot,
    env: { ...inherited, PASSGATE_CONFIG: "", ...env },
  });
  // EPIPE once the gate has exited: the test asserts on what was read before.
  child.stdin.on("error", () => undefined);
  const logs: Record<string, unknown>[] = [];
  let out = "";
  let partial = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    partial += chunk.toString();
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (line.trim() === "") continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // Not a log line (an uncaught error's trace): kept as text so the test shows it.
        logs.push({ text: line });
      }
    }
  });
  const exited = new Promise<number>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? 128 + (SIGNAL_NUMBERS[signal ?? ""] ?? 0))),
  );
  return {
    child,
    logs,
    stdout: () => out,
    exited,
    scan: (text) => {
      // A stream still writing when the gate exits: the line is simply not read.
      if (child.stdin.writable) child.stdin.write(`${text}\n`);
    },
  };
}

/** A long-running `passgate` command in its own process, with everything it printed. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Its stdout and stderr so far, as one text in the order they arrived. */
  output(): string;
}

/** Spawns the built `passgate <args>` (a simulated device, a gate) and keeps what it prints. */
export function startCli(args: readonly string[]): CliProcess {
  const child = spawn(process.execPath, cliArgv(args), {
    env: { ...process.env, PASSGATE_CONFIG: "" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let text = "";
  child.stdout?.on("data", (d: Buffer) => {
    text += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    text += d.toString();
  });
  return { child, output: () => text };
}

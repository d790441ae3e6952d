import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitUntil } from "../../daemon/mqtt/testing/mosquitto.js";
import { cliArgv, repoRoot } from "../run-cli.js";

/** One JSON log line of the gate, as pino wrote it. */
export type LogLine = Record<string, unknown> & { readonly msg?: string; readonly at: number };

/**
 * `passgate -c <config> run` as a child process, as systemd runs it: the test sees only
 * what an operator sees (its log lines, its exit code, its database through the CLI).
 * Every stdout and stderr line is kept raw (for the no-token-in-logs checks) and parsed
 * when it is JSON, stamped with the time it arrived here.
 */
export class GateProcess {
  readonly dir = mkdtempSync(join(tmpdir(), "passgate-e2e-"));
  readonly configPath: string;
  /** Every line the process wrote, stdout and stderr, unparsed. */
  readonly raw: string[] = [];
  readonly logs: LogLine[] = [];
  private child: ChildProcess | undefined;
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;

  /**
   * `command`: what runs on the config (default `run`: a gate; `bridge run`: a reader
   * bridge), `ready`: the log line that says it started.
   */
  constructor(
    readonly name: string,
    private readonly role: {
      readonly command: readonly string[];
      readonly ready: string;
      readonly file: string;
    } = {
      command: ["run"],
      ready: "gate starting",
      file: "passgate.yaml",
    },
  ) {
    this.configPath = join(this.dir, role.file);
  }

  /**
   * Writes `config` (as JSON, which is YAML; relative paths resolve against `dir`), spawns
   * the gate and waits for its "gate starting" line (at most `timeoutMs`).
   */
  async start(config?: Record<string, unknown>, timeoutMs = 20_000): Promise<void> {
    if (config !== undefined) writeFileSync(this.configPath, JSON.stringify(config, null, 2));
    const child = spawn(process.execPath, cliArgv(["-c", this.configPath, ...this.role.command]), {
      cwd: repoRoot,
      env: { ...process.env, PASSGATE_CONFIG: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.exit = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    // Started again after a stop or a kill: only this run's lines say it is ready.
    const from = this.logs.length;
    this.collect(child.stdout);
    this.collect(child.stderr);
    await waitUntil(
      () => {
        if (child.exitCode !== null)
          throw new Error(`${this.name} exited with ${child.exitCode}: ${this.raw.join("\n")}`);
        return this.logs.slice(from).some((l) => l.msg === this.role.ready);
      },
      `${this.name} to start`,
      timeoutMs,
    );
  }

  /** Decision lines (component "decision") in order. */
  decisions(): LogLine[] {
    return this.logs.filter((l) => l.component === "decision");
  }

  /** Waits for the `n`th decision line (1-based) and returns it. */
  async decision(n: number, timeoutMs = 5000): Promise<LogLine> {
    await waitUntil(() => this.decisions().length >= n, `${this.name} decision ${n}`, timeoutMs);
    return this.decisions()[n - 1] as LogLine;
  }

  async waitForLog(match: (line: LogLine) => boolean, what: string, timeoutMs = 5000): Promise<LogLine> {
    await waitUntil(() => this.logs.some(match), `${this.name}: ${what}`, timeoutMs);
    return this.logs.find(match) as LogLine;
  }

  /**
   * Sends SIGTERM and resolves with the exit (at once when it already exited); a gate that
   * hangs for 10 s is killed, which shows as `signal: "SIGKILL"`.
   */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    const exit = this.exit;
    if (child === undefined || exit === undefined) return { code: null, signal: null };
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    try {
      return await exit;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Kills the process with SIGKILL, as a power cut or the OOM killer would, and resolves with its exit. */
  async kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    const exit = this.exit;
    if (child === undefined || exit === undefined) return { code: null, signal: null };
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    return await exit;
  }

  /** Removes the gate's folder (config, database, pty links); call after `stop()`. */
  removeFiles(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private collect(stream: NodeJS.ReadableStream | null): void {
    let pending = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      const at = Date.now();
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (line === "") continue;
        this.raw.push(line);
        if (!line.startsWith("{")) continue;
        // Not every line is a log line (a crash prints a plain stack trace); those stay only in `raw`.
        const parsed = parseObject(line);
        if (parsed !== undefined) this.logs.push({ ...parsed, at });
      }
    });
  }
}

function parseObject(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

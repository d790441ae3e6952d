import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { setPriority } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { GateStatePayload } from "../../daemon/mqtt/topics.js";
import type { GateRunner } from "./campus-gate.js";

/**
 * Node's flags for a gate process: a small V8 heap, as on a small board (the systemd units
 * run node with the same kind of bounds). `PASSGATE_SIM_GATE_NODE_FLAGS` tries others.
 */
export const GATE_NODE_FLAGS = ["--max-semi-space-size=2", "--max-old-space-size=64"];
/** How long a gate process may take to come online (50 of them start on 2 cores). */
const ONLINE_WITHIN_MS = 180_000;
/**
 * A starting gate's nice value. Node's start takes all the CPU there is; the broker and the
 * registry (which on a real site run on machines of their own) share this one, and must
 * still answer the gates already running. Back to 0 once the gate is online.
 */
const STARTING_NICE = 10;
/** A gate asked to stop that has not exited after this long is killed. */
const STOP_WITHIN_MS = 15_000;

/** A gate process's memory from /proc/<pid>/status, KiB. */
export interface ProcessMemory {
  readonly rssKiB: number;
  readonly rssAnonKiB: number;
}

/**
 * A campus gate as its own `passgate run` process (`node bin/passgate.js --config <config>
 * run`), as systemd starts a gate. The campus learns what it does from the broker only: its
 * retained status (`online` once its MQTT session is up) and state (`observe`), and its
 * decision events (campus-watch.ts). Its log (JSON lines, warnings and worse) goes to
 * `gate.log` beside its config, appended over restarts.
 */
export class GateProcess implements GateRunner {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private online = false;
  private onlineAfter = 0;
  private lastState: GateStatePayload | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly configPath: string,
    private readonly nodeFlags: readonly string[] = gateNodeFlags(),
  ) {}

  /** The process id while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Spawns the gate and waits for its `online` (published after the spawn, not a retained one from before). */
  async start(): Promise<void> {
    const logFd = openSync(join(dirname(this.configPath), "gate.log"), "a");
    try {
      this.online = false;
      this.onlineAfter = Date.now();
      const child = spawn(
        process.execPath,
        [...this.nodeFlags, passgateBin(), "--config", this.configPath, "run"],
        {
          stdio: ["ignore", "ignore", logFd],
          // The gate's own level is the config's; warnings and worse are enough for a run of many.
          env: { ...process.env, PASSGATE_CONFIG: "", PASSGATE_LOG_LEVEL: "warn" },
        },
      );
      this.child = child;
      this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
      renice(child.pid, STARTING_NICE);
    } finally {
      // The child has its own copy of the descriptor.
      closeSync(logFd);
    }
    const child = this.child;
    let early: string | undefined;
    void this.exited.then(() => {
      if (this.child === child && !this.online)
        early = `exited with ${String(child.exitCode ?? child.signalCode)}`;
      this.wake();
    });
    await this.until(() => this.online || early !== undefined, ONLINE_WITHIN_MS);
    renice(child?.pid, 0);
    if (!this.online)
      throw new Error(
        `gate process ${this.configPath} ${early ?? "did not come online"}; see gate.log beside its config`,
      );
  }

  /** SIGTERM, as systemd stops a gate; SIGKILL if it has not exited after 15 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_WITHIN_MS);
    await this.exited;
    clearTimeout(timer);
    this.child = undefined;
  }

  /** The power cut: SIGKILL, no offline message (the broker publishes the will), nothing flushed. */
  async kill(): Promise<void> {
    this.online = false;
    this.child?.kill("SIGKILL");
    await this.exited;
    this.child = undefined;
  }

  /** SIGKILL now, without waiting: for the campus's own exit, which must not leave gates behind. */
  killNow(): void {
    this.child?.kill("SIGKILL");
  }

  /** The process polls the registry; the campus cannot reach into it. */
  requestSync(): void {}

  mode(): string | undefined {
    return this.online ? this.lastState?.mode : undefined;
  }

  /** The gate's retained status as the broker delivered it; `at` is when it arrived. */
  observeStatus(online: boolean, at: number): void {
    // A retained `online` from before this spawn (or the last run) is not this process.
    if (online && at < this.onlineAfter) return;
    this.online = online && this.child !== undefined;
    this.wake();
  }

  /** The gate's retained state. */
  observeState(state: GateStatePayload): void {
    this.lastState = state;
  }

  /** Resident and anonymous memory now; undefined when it does not run or /proc cannot tell. */
  memory(): ProcessMemory | undefined {
    const pid = this.child?.pid;
    if (pid === undefined) return undefined;
    try {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      const kib = (field: string) =>
        Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
      const memory = { rssKiB: kib("VmRSS"), rssAnonKiB: kib("RssAnon") };
      return Number.isFinite(memory.rssKiB) ? memory : undefined;
    } catch {
      // Not Linux, or the process just ended: no figure rather than a wrong one.
      return undefined;
    }
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }

  private until(done: () => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        resolve();
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

/** Sets a process's nice value; where that is not allowed (back to 0 needs privileges) it stays as it is. */
function renice(pid: number | undefined, nice: number): void {
  if (pid === undefined) return;
  try {
    setPriority(pid, nice);
  } catch {
    // Not permitted (an unprivileged user cannot lower a nice value) or already gone: harmless.
  }
}

/** The node flags for gate processes: `PASSGATE_SIM_GATE_NODE_FLAGS` (space-separated) or GATE_NODE_FLAGS. */
export function gateNodeFlags(env: NodeJS.ProcessEnv = process.env): string[] {
  const flags = env.PASSGATE_SIM_GATE_NODE_FLAGS?.trim();
  return flags === undefined || flags === "" ? [...GATE_NODE_FLAGS] : flags.split(/\s+/);
}

/**
 * The installed entry point, `bin/passgate.js` of this package, found from this module
 * whether it runs from `dist/sim/campus/` or from the sources; it runs the built CLI, so
 * `dist/` must exist (`npm run build`).
 */
export function passgateBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const bin = join(dir, "bin", "passgate.js");
    if (existsSync(bin)) {
      if (!existsSync(join(dir, "dist", "cli", "main.js")))
        throw new Error(`gate processes run the built CLI: run "npm run build" in ${dir} first`);
      return bin;
    }
    dir = dirname(dir);
  }
  throw new Error("gate processes need bin/passgate.js of the passgate package, which was not found");
}

import type { RosterMember } from "../../daemon/trust/roster-member.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import type { CampusOptions, CampusSummary, RunningCampus } from "../campus/campus.js";
import type { CampusEvent } from "../campus/campus-events.js";
import { withoutCredentials } from "./demo-summary.js";
import { timeOfDay } from "./event-line.js";
import { LiveView, type ViewOutput } from "./live-view.js";

/** The keyboard on a TTY, read one key at a time. */
export interface KeyInput {
  setRawMode(raw: boolean): unknown;
  on(event: "data", listener: (chunk: Buffer) => void): unknown;
  off(event: "data", listener: (chunk: Buffer) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

/** The web console beside the campus: its operator goes into the gates' rosters first. */
export interface DemoConsoleStarter {
  readonly member: RosterMember;
  start(
    campus: RunningCampus,
    embeddedBroker: boolean,
  ): Promise<{
    readonly url: string;
    readonly loginUrl: string;
    stop(): Promise<void>;
  }>;
}

/** How the demo starts a campus: `startCampus`, or a scripted stand-in in tests. */
export type StartCampus = (options: CampusOptions) => Promise<RunningCampus>;

export interface DemoRunOptions {
  readonly dir: string;
  readonly gates: number;
  /** People per minute per lane. */
  readonly rate: number;
  /** A broker to use instead of the embedded one. */
  readonly brokerUrl?: string;
  readonly faults: boolean;
  /** Stop by itself after this long; runs until interrupted without it. */
  readonly durationMs?: number;
  /** Seed of the crowd, for a repeatable run. */
  readonly seed?: number;
  readonly logger: Logger;
  readonly clock: Clock;
  readonly out: ViewOutput;
  /** The full-screen view (a TTY); plain lines otherwise. */
  readonly screen: boolean;
  readonly color: boolean;
  /** Keys r, v, q and Ctrl-C; only read on a TTY. */
  readonly keys?: KeyInput;
  /** IANA zone for the times shown (default: this machine's). */
  readonly timeZone?: string;
  /** Called on a second interrupt, after the terminal is restored: leave at once. */
  readonly exitNow: () => void;
  /** The web console for the campus (`passgate demo` starts one; the view's tests need none). */
  readonly console?: DemoConsoleStarter;
}

export interface DemoRunResult {
  readonly summary: CampusSummary;
  readonly campus: RunningCampus;
  readonly interrupted: boolean;
}

const CTRL_C = 0x03;

/** The campus did not start (a broker that refuses, a folder that cannot be written). */
export class DemoStartError extends Error {
  readonly code = "DEMO_START";
}

/**
 * One run of the demo: starts the campus, shows it live, and stops it when the duration
 * is over or on `interrupt()` (Ctrl-C, SIGTERM, `q`). A second interrupt gives the
 * terminal back and calls `exitNow` without waiting for the campus.
 */
export class DemoRun {
  private interrupts = 0;
  private wakeStop: (() => void) | undefined;
  private view: LiveView | undefined;
  private campus: RunningCampus | undefined;
  private keysOn = false;
  private readonly stopRequested: Promise<void>;

  constructor(
    private readonly options: DemoRunOptions,
    private readonly startCampus: StartCampus,
  ) {
    this.stopRequested = new Promise((resolve) => {
      this.wakeStop = resolve;
    });
  }

  interrupt(): void {
    this.interrupts++;
    if (this.interrupts === 1) {
      this.view?.setStopping();
      this.wakeStop?.();
      return;
    }
    this.releaseTerminal();
    this.options.exitNow();
  }

  async run(): Promise<DemoRunResult> {
    const { options } = this;
    let campus: RunningCampus;
    try {
      campus = await this.startCampus({
        dir: options.dir,
        gates: options.gates,
        peoplePerMinutePerLane: options.rate,
        brokerUrl: options.brokerUrl,
        faults: options.faults,
        durationMs: options.durationMs,
        seed: options.seed,
        logger: options.logger,
        clock: options.clock,
        ...(options.console && { members: [options.console.member] }),
      });
    } catch (err) {
      const hint =
        options.brokerUrl === undefined
          ? ""
          : ` — is the broker at ${withoutCredentials(options.brokerUrl)} running and reachable?`;
      throw new DemoStartError(`could not start the demo campus: ${errorText(err)}${hint}`, { cause: err });
    }
    // The crowd is already walking while the console starts: what happens meanwhile is kept
    // and shown once the view is up, after the console's line.
    const early: CampusEvent[] = [];
    const stopKeeping = campus.onEvent((event) => early.push(event));
    let web: Awaited<ReturnType<DemoConsoleStarter["start"]>> | undefined;
    try {
      // No await without a console: the view and the keys come up in the same turn as before.
      if (options.console !== undefined)
        web = await options.console.start(campus, options.brokerUrl === undefined);
    } catch (err) {
      stopKeeping();
      await campus.stop().catch((e: unknown) => options.logger.error({ err: e }, "campus stop failed"));
      throw new DemoStartError(`could not start the demo's console: ${errorText(err)}`, { cause: err });
    }
    const time = timeOfDay(options.timeZone);
    const brokerUrl = withoutCredentials(campus.brokerUrl);
    const view = new LiveView({
      out: options.out,
      mode: options.screen ? "screen" : "lines",
      color: options.color && options.screen,
      clock: options.clock,
      time,
      brokerUrl,
      embeddedBroker: options.brokerUrl === undefined,
      registryUrl: campus.registryUrl,
      gateIds: campus.gates.map((g) => g.id),
      bridgedLanes: campus.gates.flatMap((g) => (g.bridgedReaders ?? []).map((r) => `${g.id}/${r}`)),
      keys: options.keys !== undefined,
      ...(web && { consoleLogin: web.loginUrl }),
    });
    this.view = view;
    if (!options.screen) {
      options.out.write(
        `passgate demo: broker ${brokerUrl}${options.brokerUrl === undefined ? " (embedded)" : ""}, ` +
          `registry ${campus.registryUrl}, gates ${campus.gates.map((g) => g.id).join(", ")}; ` +
          `${options.durationMs === undefined ? "Ctrl-C to stop" : `stops after ${options.durationMs / 1000} s`}\n`,
      );
      if (web !== undefined)
        options.out.write(
          `passgate demo: console ${web.url} — open ${web.loginUrl} to log in as admin (the link works once, for 10 minutes)\n`,
        );
    }
    stopKeeping();
    for (const event of early) view.onEvent(event);
    const unsubscribe = campus.onEvent(view.onEvent);
    let stopped = false;
    try {
      view.start();
      if (this.interrupts > 0) view.setStopping();
      this.listenToKeys(campus);
      const first = await Promise.race([
        campus.done.then((summary) => ({ summary })),
        this.stopRequested.then(() => undefined),
      ]);
      await this.stopConsole(web);
      web = undefined;
      const summary = first?.summary ?? (await campus.stop());
      stopped = true;
      return { summary, campus, interrupted: first === undefined };
    } finally {
      await this.stopConsole(web);
      if (!stopped)
        await campus.stop().catch((err: unknown) => options.logger.error({ err }, "campus stop failed"));
      unsubscribe();
      this.releaseTerminal();
    }
  }

  private async stopConsole(web: { stop(): Promise<void> } | undefined): Promise<void> {
    await web?.stop().catch((err: unknown) => this.options.logger.error({ err }, "console stop failed"));
  }

  /** Keys off, screen restored; safe to call more than once. */
  private releaseTerminal(): void {
    const { keys } = this.options;
    if (this.keysOn && keys !== undefined) {
      keys.off("data", this.onKey);
      keys.setRawMode(false);
      keys.pause();
      this.keysOn = false;
    }
    this.view?.stop();
  }

  private listenToKeys(campus: RunningCampus): void {
    const { keys } = this.options;
    if (keys === undefined) return;
    this.campus = campus;
    keys.setRawMode(true);
    keys.on("data", this.onKey);
    keys.resume();
    this.keysOn = true;
  }

  // In raw mode Ctrl-C arrives as a byte, not as SIGINT, so it is handled here too.
  private readonly onKey = (chunk: Buffer): void => {
    for (const byte of chunk) {
      const key = String.fromCharCode(byte);
      if (byte === CTRL_C || key === "q") this.interrupt();
      else if (key === "r") this.revokeSomeone();
      else if (key === "v") this.addVisitor();
    }
  };

  private revokeSomeone(): void {
    const { campus, view } = this;
    if (campus === undefined || view === undefined || this.interrupts > 0) return;
    const people = [...view.model.validPeople];
    const person = people[Math.floor(Math.random() * people.length)];
    if (person === undefined) {
      view.note("nobody to revoke yet: wait for someone to be granted", false);
      return;
    }
    view.model.validPeople.delete(person);
    view.note(`revoking ${person}…`);
    campus.revoke(person).then(
      (version) => view.note(`registry revoked ${person}: allowlist v${version} pushed to the gates`),
      (err: unknown) => view.note(`revoking ${person} failed: ${errorText(err)}`, false),
    );
  }

  private addVisitor(): void {
    const { campus, view } = this;
    if (campus === undefined || view === undefined || this.interrupts > 0) return;
    campus.addVisitor().then(
      (name) => view.note(`registry added visitor ${name}; they join the crowd`),
      (err: unknown) => view.note(`adding a visitor failed: ${errorText(err)}`, false),
    );
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

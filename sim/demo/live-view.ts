import type { Writable } from "node:stream";
import type { Clock } from "../../platform/clock.js";
import type { CampusEvent } from "../campus/campus-events.js";
import { DemoViewModel } from "./demo-view-model.js";
import { formatEventLine, type TimeOfDay } from "./event-line.js";
import { renderScreen } from "./live-screen.js";

/** A terminal stream: `columns` and `rows` are set when it is a TTY. */
export type ViewOutput = Writable & { readonly columns?: number; readonly rows?: number };

export interface LiveViewOptions {
  readonly out: ViewOutput;
  /** "screen": a full-screen view redrawn in place (TTY); "lines": one plain line per event. */
  readonly mode: "screen" | "lines";
  /** ANSI colours on the screen (never in "lines" mode). */
  readonly color: boolean;
  readonly clock: Clock;
  readonly time: TimeOfDay;
  readonly brokerUrl: string;
  readonly embeddedBroker: boolean;
  readonly registryUrl: string;
  readonly gateIds: readonly string[];
  /** Lanes read through a reader bridge, `<gate>/<reader>`: marked on the screen. */
  readonly bridgedLanes?: readonly string[];
  /** Show the r/v/q key help. */
  readonly keys: boolean;
  /** The web console's one-time login URL, shown in the header. */
  readonly consoleLogin?: string;
  /** Screen redraw interval, ms (default 250: four times a second). */
  readonly refreshMs?: number;
}

const ENTER_SCREEN = "\x1b[?1049h\x1b[?25l";
const LEAVE_SCREEN = "\x1b[?25h\x1b[?1049l";

/**
 * Shows a running campus. In "screen" mode it takes over the terminal's alternate
 * screen and redraws it from the model on a timer, so a burst of events costs one
 * redraw; `stop()` gives the terminal back as it was. In "lines" mode each event is
 * written as it arrives.
 */
export class LiveView {
  readonly model: DemoViewModel;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private stopping = false;
  private onScreen = false;

  constructor(private readonly options: LiveViewOptions) {
    this.model = new DemoViewModel(options.gateIds, new Set(options.bridgedLanes ?? []));
  }

  start(): void {
    this.startedAt = this.options.clock.now();
    if (this.options.mode !== "screen") return;
    this.options.out.write(ENTER_SCREEN);
    this.onScreen = true;
    this.draw();
    this.timer = setInterval(() => this.draw(), this.options.refreshMs ?? 250);
  }

  /** The campus's event listener. */
  readonly onEvent = (event: CampusEvent): void => {
    this.model.apply(event);
    if (this.options.mode === "lines")
      this.options.out.write(`${formatEventLine(event, this.options.time)}\n`);
  };

  /** Reports what the person at the keyboard caused (a revocation, a new visitor). */
  note(text: string, ok = true): void {
    const at = this.options.clock.now();
    this.model.note(at, text, ok);
    if (this.options.mode === "lines") this.options.out.write(`${this.options.time(at)} ${text}\n`);
  }

  /** Marks the view as shutting down (shown in the header until `stop()`). */
  setStopping(): void {
    this.stopping = true;
    if (this.onScreen) this.draw();
  }

  /** Stops redrawing and restores the terminal; safe to call twice. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.onScreen) this.options.out.write(LEAVE_SCREEN);
    this.onScreen = false;
  }

  private draw(): void {
    const { out } = this.options;
    const lines = renderScreen(this.model, {
      // A pty that never had its size set reports 0×0.
      width: out.columns || 100,
      height: out.rows || 40,
      color: this.options.color,
      now: this.options.clock.now(),
      startedAt: this.startedAt,
      brokerUrl: this.options.brokerUrl,
      embeddedBroker: this.options.embeddedBroker,
      registryUrl: this.options.registryUrl,
      consoleLogin: this.options.consoleLogin,
      time: this.options.time,
      keys: this.options.keys,
      stopping: this.stopping,
    });
    // Home, each line cleared to its end, then the rest of the screen cleared: no flicker.
    out.write(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join("\n")}\n\x1b[J`);
  }
}

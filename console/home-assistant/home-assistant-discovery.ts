import { z } from "zod";
import { type DropReason, type MqttConnection, parsePayload } from "../../daemon/mqtt/mqtt-connection.js";
import type { OperatorRole } from "../../daemon/trust/roster-member.js";
import type { OwnSigner } from "../../daemon/trust/site-trust.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";
import { type DiscoveryContext, discoveryConfigs } from "./discovery-configs.js";
import {
  type HaCommand,
  haCommandTopics,
  haModePayloadSchema,
  haPressPayloadSchema,
  localIdSchema,
  parseHaCommandTopic,
} from "./ha-command-topics.js";
import { HA_COMMAND_INTERVAL_MS, type HaRefusal, HaRequests } from "./ha-requests.js";

/** Gates watched at most: a site has tens; a flood of made-up gate topics must not grow memory. */
const MAX_GATES = 256;
/** Relays per gate at most (a gate has one or two). */
const MAX_RELAYS = 16;
/** The largest command HA sends is a mode name; anything much longer is not HA's. */
const MAX_COMMAND_BYTES = 64;
/** A refusal of the same kind is logged at most this often, ms. */
const REFUSAL_LOG_INTERVAL_MS = 10_000;
/** How long `stop({ retract: true })` waits for the broker to take the empty configs, ms. */
const RETRACT_WAIT_MS = 2_000;

/** The parts of a gate's retained state discovery needs; the rest may change without breaking it. */
const watchedStateSchema = z.object({
  relays: z.record(localIdSchema, z.boolean()).refine((r) => Object.keys(r).length <= MAX_RELAYS),
});

export interface HomeAssistantDiscoveryOptions {
  /** The console's session on the site's broker (its account may publish the gates' requests). */
  readonly connection: MqttConnection;
  /** The gates' `mqtt.topicPrefix` (default `passgate`). */
  readonly prefix: string;
  readonly site: string;
  /** Home Assistant's discovery prefix; default `homeassistant`. */
  readonly discoveryPrefix?: string;
  /** The console's operator key, a member of the site roster. */
  readonly operator: OwnSigner;
  /** Its roles in the roster: `admin` gets the mode select, `guard` or `admin` the open buttons. */
  readonly roles: readonly OperatorRole[];
  /** The gates it may act on (the roster's `gates`); absent: all. Other gates get no commands. */
  readonly gates?: readonly string[];
  readonly clock: Clock;
  readonly logger: Logger;
  /** Least time between two opens of one relay, and two mode changes of one gate; default 2 s. */
  readonly commandIntervalMs?: number;
  /** Shown as the devices' software version in HA. */
  readonly version?: string;
}

interface WatchedGate {
  relays: readonly string[];
  /** Discovery topic → the config last published on it. */
  readonly published: Map<string, string>;
}

/**
 * Home Assistant MQTT discovery for a site's gates, a component of the site console
 * (docs/home-assistant.md). It watches the gates' retained `status` and `state`, publishes
 * retained discovery configs for each gate (a device with its entities, only those the
 * console's operator may use), publishes them again when HA says it is back (its birth on
 * `<discoveryPrefix>/status`) and after a reconnect, and turns HA's plain commands into signed
 * requests (ha-requests.ts). Constructor does nothing; `start()` subscribes; `stop()` undoes it
 * and, with `{ retract: true }`, empties every config it published so HA removes the devices.
 */
export class HomeAssistantDiscovery {
  readonly name = "home-assistant";
  private readonly gates = new Map<string, WatchedGate>();
  private readonly refusalCounts = new Map<string, number>();
  private readonly refusalLogged = new Map<string, number>();
  private readonly stops: (() => void)[] = [];
  private requests: HaRequests | undefined;

  constructor(private readonly options: HomeAssistantDiscoveryOptions) {}

  private get context(): DiscoveryContext {
    return {
      discoveryPrefix: this.options.discoveryPrefix ?? "homeassistant",
      version: this.options.version,
    };
  }

  /** Subscribes; the configs follow as the gates' retained status and state arrive. */
  async start(): Promise<void> {
    const { connection, prefix, site, logger } = this.options;
    this.requests = new HaRequests({
      connection,
      prefix,
      site,
      operator: this.options.operator,
      roles: this.options.roles,
      gates: this.options.gates,
      clock: this.options.clock,
      logger,
      intervalMs: this.options.commandIntervalMs ?? HA_COMMAND_INTERVAL_MS,
    });
    const commands = haCommandTopics(prefix, site);
    this.stops.push(
      connection.subscribe(`${prefix}/${site}/+/status`, (topic) => this.onGate(topic, undefined)),
      connection.subscribe(`${prefix}/${site}/+/state`, (topic, payload) => this.onGate(topic, payload)),
      connection.subscribe(commands.modeSetFilter, (topic, payload) => this.onCommand(topic, payload)),
      connection.subscribe(commands.openPressFilter, (topic, payload) => this.onCommand(topic, payload)),
      connection.subscribe(`${this.context.discoveryPrefix}/status`, (_t, payload) => {
        if (payload.toString("utf8") === "online") this.publishAll();
      }),
      connection.onConnection((up) => {
        if (up) this.publishAll();
      }),
    );
    logger.info(
      { roles: this.options.roles, discoveryPrefix: this.context.discoveryPrefix },
      "home assistant discovery started",
    );
  }

  /** Stops listening; with `retract`, empties each published config (HA then removes the entities). */
  async stop(options: { readonly retract?: boolean } = {}): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    if (options.retract === true) {
      const acks: Promise<void>[] = [];
      for (const gate of this.gates.values())
        for (const topic of gate.published.keys())
          acks.push(
            new Promise<void>((resolve) => {
              if (!this.options.connection.publish(topic, "", { qos: 1, retain: true }, resolve)) resolve();
            }),
          );
      let timer: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, RETRACT_WAIT_MS);
      });
      await Promise.race([Promise.all(acks), waited]);
      clearTimeout(timer);
      this.options.logger.info({ gates: this.gates.size }, "home assistant configs retracted");
    }
    this.gates.clear();
    this.requests = undefined;
  }

  /** Commands from HA not sent, by `ha-<mode|open|command>:<reason>`, since start. */
  refusals(): ReadonlyMap<string, number> {
    return this.refusalCounts;
  }

  /** The gates discovered so far, by id. */
  discoveredGates(): string[] {
    return [...this.gates.keys()];
  }

  private onGate(topic: string, statePayload: Buffer | undefined): void {
    const id = localIdSchema.safeParse(topic.split("/").at(-2));
    // The console's own topics sit beside the gates' (`<site>/console/…`): not a gate.
    if (!id.success || id.data === "console") return;
    let gate = this.gates.get(id.data);
    if (gate === undefined && this.gates.size >= MAX_GATES) {
      this.refuse("ha-gate", "too_many");
      return;
    }
    gate ??= { relays: [], published: new Map() };
    this.gates.set(id.data, gate);
    if (statePayload !== undefined) {
      const state = parsePayload(statePayload, "json", watchedStateSchema);
      if ("dropped" in state) {
        // A state this component cannot read leaves the gate's configs as they were.
        this.refuse("ha-gate", state.dropped);
        return;
      }
      gate.relays = Object.keys(state.ok.relays).sort();
    }
    this.publishGate(id.data, gate);
  }

  /** Publishes the gate's configs that changed (all with `force`), and empties those it no longer has. */
  private publishGate(id: string, gate: WatchedGate, force = false): void {
    const { connection, prefix, site } = this.options;
    const may = {
      changeMode: this.requests?.mayChangeMode(id) === true,
      open: this.requests?.mayOpen(id) === true,
    };
    const configs = discoveryConfigs({ prefix, site, gate: id, relays: gate.relays, may }, this.context);
    const wanted = new Map(configs.map((c) => [c.topic, c.payload]));
    for (const [topic, payload] of wanted) {
      if (!force && gate.published.get(topic) === payload) continue;
      if (connection.publish(topic, payload, { qos: 1, retain: true })) gate.published.set(topic, payload);
    }
    for (const topic of [...gate.published.keys()]) {
      if (wanted.has(topic)) continue;
      if (connection.publish(topic, "", { qos: 1, retain: true })) gate.published.delete(topic);
    }
  }

  /** After a reconnect or HA's birth: every config again (HA may have lost them). */
  private publishAll(): void {
    for (const [id, gate] of this.gates) this.publishGate(id, gate, true);
  }

  private onCommand(topic: string, payload: Buffer): void {
    const command = parseHaCommandTopic(this.options.prefix, this.options.site, topic);
    const kind = `ha-${command?.kind ?? "command"}`;
    const refused = command === undefined ? "invalid_topic" : this.send(command, payload);
    if (refused !== undefined) this.refuse(kind, refused);
  }

  /** Checks HA's command and sends the signed request; why not, when it was not sent. */
  private send(command: HaCommand, payload: Buffer): HaRefusal | undefined {
    const requests = this.requests;
    if (requests === undefined) return "not_connected";
    if (payload.length > MAX_COMMAND_BYTES) return "too_large";
    const gate = this.gates.get(command.gate);
    let outcome: ReturnType<HaRequests["mode"]>;
    if (command.kind === "mode") {
      const mode = parsePayload(payload, "text", haModePayloadSchema);
      if ("dropped" in mode) return "invalid";
      if (gate === undefined) return "unknown_gate";
      outcome = requests.mode({ gate: command.gate, relays: gate.relays }, mode.ok);
    } else {
      if ("dropped" in parsePayload(payload, "text", haPressPayloadSchema)) return "invalid";
      if (gate === undefined) return "unknown_gate";
      outcome = requests.open({ gate: command.gate, relays: gate.relays }, command.relay);
    }
    return "refused" in outcome ? outcome.refused : undefined;
  }

  private refuse(kind: string, reason: HaRefusal | DropReason | "too_many"): void {
    const key = `${kind}:${reason}`;
    this.refusalCounts.set(key, (this.refusalCounts.get(key) ?? 0) + 1);
    const now = this.options.clock.now();
    const logged = this.refusalLogged.get(key);
    if (logged !== undefined && now - logged < REFUSAL_LOG_INTERVAL_MS) return;
    this.refusalLogged.set(key, now);
    // Never the payload: it is whatever some client put on the topic.
    this.options.logger.warn(
      { kind, reason, count: this.refusalCounts.get(key) },
      "home assistant command refused",
    );
  }
}

import type { Config, ReaderConfig } from "../../config/schema.js";
import type { Clock } from "../../platform/clock.js";
import type { Db } from "../../platform/database/database.js";
import type { Logger } from "../../platform/log/logger.js";
import type { AllowlistStore } from "../allowlist/allowlist-store.js";
import type { ScanOutcome } from "../gate/gate.js";
import type { Journal } from "../journal/journal.js";
import { GateMqtt, RequestError } from "../mqtt/gate-mqtt.js";
import type { MqttConnection } from "../mqtt/mqtt-connection.js";
import { gateTopics } from "../mqtt/topics.js";
import type { ModeStore } from "../state/mode-store.js";
import { createRelayDrivers } from "./create-relay-drivers.js";
import { setUpInputs } from "./gate-inputs.js";
import { GateModeControl } from "./gate-mode-control.js";
import { type PulseResult, RelaySet } from "./relay-set.js";
import { testPulseRecord } from "./test-pulse-record.js";

/** A grant is actuated only this soon after the scan; later, the person has gone. */
export const OPEN_DEADLINE_MS = 2_000;
/** How often relay availability is compared for the retained gate state. */
const AVAILABILITY_POLL_MS = 500;

/** The gate's MQTT session as the composition root made it. */
export interface GateMqttSession {
  readonly connection: MqttConnection;
  /** The client id: Shelly Gen2 replies go to `<clientId>/rpc`. */
  readonly clientId: string;
}

/** Relays, modes and the gate's MQTT events and requests, started together. */
export interface Actuation {
  readonly relays: RelaySet;
  readonly modes: GateModeControl;
  readonly mqtt: GateMqtt | undefined;
  /** For `Gate`: whether the relays of this reader can open now. */
  relayAvailable(readerId: string): boolean;
  /** For `Gate`: whether a rotation sensor confirms passages at this reader. */
  passageSensed(readerId: string): boolean;
  /** After a decision is journaled: publish it and, on a grant, pulse the reader's relays; `scannedAt`: epoch ms the reader delivered the scan (an open later than 2 s after it is dropped). */
  afterDecision(outcome: ScanOutcome, reader: ReaderConfig, scannedAt: number): void;
  stop(): Promise<void>;
}

/** What the composition root hands to `startActuation`. */
export interface ActuationDeps {
  readonly db: Db;
  readonly mode: ModeStore;
  readonly journal: Journal;
  readonly allowlist: AllowlistStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly mqtt?: GateMqttSession | undefined;
  /** Told each pulse's result (grants and test pulses), for the metrics. */
  readonly onPulse?: ((result: PulseResult) => void) | undefined;
}

/**
 * Builds and starts the relays (drivers from config), the mode control and, with MQTT,
 * the gate's events, retained state and requests. Relays and MQTT drivers share the one
 * connection the composition root created.
 */
export async function startActuation(config: Config, deps: ActuationDeps): Promise<Actuation> {
  const { clock, logger, journal } = deps;
  const drivers = createRelayDrivers(config.relays, {
    mqtt:
      config.mqtt === undefined || deps.mqtt === undefined
        ? undefined
        : { config: config.mqtt, connection: deps.mqtt.connection, clientId: deps.mqtt.clientId },
    clock,
    logger,
  });
  const relays = new RelaySet(drivers, logger.child({ component: "relay" }));
  const modes = new GateModeControl({
    ...deps,
    gate: config.gate,
    logger: logger.child({ component: "mode" }),
  });

  let gateMqtt: GateMqtt | undefined;
  const state = () => {
    const m = modes.current();
    return {
      gate: config.gate,
      mode: m.mode,
      modeSince: m.since,
      modeSource: m.source,
      relays: relays.availability(),
      at: clock.now(),
    };
  };
  const testPulse = async (relayId: string, ms?: number) => {
    if (!relays.has(relayId)) throw new RequestError(`unknown relay "${relayId}"`);
    const entry = journal.append(testPulseRecord(config.gate, relayId, clock.now()));
    const [result] = await relays.open({ relayId, ms }, entry.id, clock.now() + OPEN_DEADLINE_MS, (r) =>
      deps.onPulse?.(r),
    );
    if (result?.result !== "opened") throw new RequestError(`relay ${relayId}: ${result?.error ?? "failed"}`);
    return { relay: relayId, result: result.result };
  };

  if (config.mqtt !== undefined && deps.mqtt !== undefined) {
    gateMqtt = new GateMqtt(
      deps.mqtt.connection,
      gateTopics({ prefix: config.mqtt.topicPrefix, site: config.site, gate: config.gate }),
      {
        gate: config.gate,
        logger: logger.child({ component: "mqtt" }),
        handlers: {
          mode: (mode) => {
            const { record, changed } = modes.set(mode, "mqtt");
            return { mode: record.mode, since: record.since, changed };
          },
          pulse: testPulse,
          status: () => ({
            ...state(),
            mqttDrops: Object.fromEntries(deps.mqtt?.connection.dropCounts() ?? []),
          }),
        },
      },
    );
    gateMqtt.start();
  }
  const inputs = setUpInputs(config, deps, modes, gateMqtt);
  const publishState = () => gateMqtt?.publishState(state());
  modes.onChange(publishState);
  // Free passage holds every relay open; any other mode releases them (lockdown: closed).
  let holding = false;
  const applyMode = () => {
    const free = modes.current().mode === "free";
    if (free === holding) return;
    holding = free;
    void relays.holdAll(free);
  };
  modes.onChange(applyMode);
  await relays.start();
  applyMode();
  publishState();

  let lastAvailability = JSON.stringify(relays.availability());
  const poll = setInterval(() => {
    modes.adoptPersisted();
    const now = JSON.stringify(relays.availability());
    if (now === lastAvailability) return;
    lastAvailability = now;
    logger.warn({ component: "relay", relays: relays.availability() }, "relay availability changed");
    publishState();
  }, AVAILABILITY_POLL_MS);
  poll.unref();

  return {
    relays,
    modes,
    mqtt: gateMqtt,
    relayAvailable: (readerId) => relays.availableFor(readerId),
    passageSensed: (readerId) => inputs.passages?.senses(readerId) === true,
    afterDecision(outcome, reader, scannedAt) {
      // The open goes out first: the person is waiting at the arm, the dashboard is not.
      if (outcome.decision.result === "granted" && outcome.entry !== undefined) {
        void relays.open({ readerId: reader.id }, outcome.entry.id, scannedAt + OPEN_DEADLINE_MS, (r) => {
          deps.onPulse?.(r);
          gateMqtt?.publishRelay({
            at: clock.now(),
            relay: r.relay,
            decisionId: r.decisionId,
            result: r.result,
            error: r.error,
          });
        });
      }
      gateMqtt?.publishDecision(outcome, reader, scannedAt);
      if (outcome.decision.result === "granted") inputs.granted(outcome, reader);
    },
    async stop() {
      clearInterval(poll);
      inputs.stop();
      gateMqtt?.stop();
      await relays.stop();
    },
  };
}

import type { MqttConfig, RelayDriverConfig } from "../../config/mqtt-schema.js";
import type { RelayConfig } from "../../config/schema.js";
import { createRelayDrivers } from "../../daemon/actuate/create-relay-drivers.js";
import { RelayError } from "../../daemon/actuate/relay-driver.js";
import type { MqttConnection } from "../../daemon/mqtt/mqtt-connection.js";
import { signedRequest } from "../../daemon/mqtt/signed-request.js";
import {
  type GateTopics,
  genericRelayTopics,
  shellyGen1Topics,
  shellyGen2Topics,
  tasmotaTopics,
} from "../../daemon/mqtt/topics.js";
import type { OwnSigner } from "../../daemon/trust/site-trust.js";
import type { Clock } from "../../platform/clock.js";
import type { Logger } from "../../platform/log/logger.js";

/** What a test pulse came to, as `relay test --json` prints it. */
export interface RelayTestResult {
  readonly relay: string;
  /** daemon: the running gate pulsed it on request; direct: this process drove the board. */
  readonly via: "daemon" | "direct";
  readonly result: "opened" | "failed";
  /** From sending the open to the board's confirmation (or to giving up), ms. */
  readonly ms: number;
  /** The RelayError code when it failed: offline, unconfirmed, refused, late, stopped; or no_answer from the gate. */
  readonly error?: string | undefined;
  readonly message: string;
}

/** How long the retained gate status may take to arrive after subscribing. */
const STATUS_WAIT_MS = 1_000;
/** How long a board's retained availability may take to arrive, before it counts as offline. */
const AVAILABILITY_WAIT_MS = 2_000;

/**
 * Whether the gate daemon runs, from its retained status topic: `online` (birth) or
 * `offline` (will, or a clean stop); undefined when nothing is retained (never ran here).
 */
export async function daemonStatus(
  connection: MqttConnection,
  topics: GateTopics,
  clock: Clock,
): Promise<string | undefined> {
  let status: string | undefined;
  const unsubscribe = connection.subscribe(topics.status, (_t, payload) => {
    status = payload.toString("utf8");
  });
  const started = clock.now();
  while (status === undefined && clock.now() - started < STATUS_WAIT_MS) await sleep(20);
  unsubscribe();
  return status;
}

/**
 * Asks the running gate to pulse `relay` (the `pulse` request of docs/mqtt.md, signed by
 * `operator`), so that one process only drives the board; the gate journals it with who asked. Waits for the answer echoing
 * our transaction id for `timeoutMs`.
 */
export async function pulseViaDaemon(
  connection: MqttConnection,
  topics: GateTopics,
  relay: RelayConfig,
  mqtt: MqttConfig,
  clock: Clock,
  pulseMs: number,
  operator: OwnSigner,
): Promise<RelayTestResult> {
  const timeoutMs = mqtt.confirmTimeout + 2_000;
  const { answer, ms } = await signedRequest(
    connection,
    topics,
    "pulse",
    { relay: relay.id, ms: pulseMs },
    operator,
    clock,
    timeoutMs,
  );
  if (answer === undefined) {
    return failed(
      relay,
      "daemon",
      ms,
      "no_answer",
      `the running gate did not answer within ${seconds(timeoutMs)} (is ${operator.id} in its roster? passgate trust list)`,
    );
  }
  if (answer.status === "ok") return opened(relay, "daemon", ms);
  const text = typeof answer.error === "string" ? answer.error : "failed";
  const code = /: (\w+)$/.exec(text)?.[1] ?? "failed";
  return failed(relay, "daemon", ms, code, explain(relay, code, mqtt) ?? text);
}

/**
 * Drives the board from this process, with the gate's own driver: waits for the board's
 * retained availability, pulses for `pulseMs` and waits for its confirmation
 * (`mqtt.confirmTimeout`). `decisionId` names the journal entry of the test, if any.
 */
export async function pulseDirect(
  relay: RelayConfig,
  deps: {
    readonly mqtt?: {
      readonly config: MqttConfig;
      readonly connection: MqttConnection;
      readonly clientId: string;
    };
    readonly clock: Clock;
    readonly logger: Logger;
    readonly pulseMs: number;
    readonly decisionId: string;
  },
): Promise<RelayTestResult> {
  const [configured] = createRelayDrivers([relay], deps);
  if (configured === undefined) throw new Error(`relay ${relay.id}: no driver`);
  const { driver } = configured;
  await driver.start();
  try {
    if (relay.driver.type !== "log") {
      const waitStart = deps.clock.now();
      while (!driver.available() && deps.clock.now() - waitStart < AVAILABILITY_WAIT_MS) await sleep(20);
    }
    const sent = deps.clock.now();
    try {
      await driver.pulse({ ms: deps.pulseMs, decisionId: deps.decisionId, notAfter: sent + 2_000 });
    } catch (err) {
      const code = err instanceof RelayError ? err.code : "failed";
      const text = err instanceof Error ? err.message : String(err);
      const explained = deps.mqtt === undefined ? undefined : explain(relay, code, deps.mqtt.config);
      return failed(relay, "direct", deps.clock.now() - sent, code, explained ?? text);
    }
    return opened(relay, "direct", deps.clock.now() - sent);
  } finally {
    await driver.stop();
  }
}

function opened(relay: RelayConfig, via: "daemon" | "direct", ms: number): RelayTestResult {
  const message =
    relay.driver.type === "log"
      ? `relay ${relay.id}: pulsed (log driver: written to the log, no board to open)`
      : `relay ${relay.id}: opened, confirmed by the board in ${ms} ms${via === "daemon" ? " (pulsed by the running gate)" : ""}`;
  return { relay: relay.id, via, result: "opened", ms, message };
}

function failed(
  relay: RelayConfig,
  via: "daemon" | "direct",
  ms: number,
  error: string,
  why: string,
): RelayTestResult {
  return { relay: relay.id, via, result: "failed", ms, error, message: `relay ${relay.id}: ${why}` };
}

/** What a person at the gate should check, per failure. */
function explain(relay: RelayConfig, code: string, mqtt: MqttConfig): string | undefined {
  const topics = boardTopics(relay.driver);
  if (code === "unconfirmed") {
    return `no answer from the board within ${seconds(mqtt.confirmTimeout)} — check power, Wi-Fi and the MQTT topic (${topics.command})`;
  }
  if (code === "offline") {
    return `the board is offline (no "online" on ${topics.availability}) — check power, Wi-Fi and the MQTT topic (${topics.command})`;
  }
  return undefined;
}

/** The topic the open goes to and the one the board's availability is read from. */
export function boardTopics(driver: RelayDriverConfig): { command: string; availability: string } {
  switch (driver.type) {
    case "log":
      return { command: "none", availability: "none" };
    case "tasmota": {
      const t = tasmotaTopics(driver.topic, driver.channel);
      return { command: t.power, availability: t.lwt };
    }
    case "shelly-gen1": {
      const t = shellyGen1Topics(driver.id, driver.channel);
      return { command: t.command, availability: t.online };
    }
    case "shelly-gen2": {
      const t = shellyGen2Topics(driver.id, "passgate");
      return { command: t.rpc, availability: t.online };
    }
    case "generic": {
      const t = genericRelayTopics(driver.device, driver.channel);
      return { command: t.command, availability: t.availability };
    }
  }
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

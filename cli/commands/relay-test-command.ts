import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Command } from "commander";
import { durationSchema } from "../../config/duration-schema.js";
import { loadConfig } from "../../config/load-config.js";
import type { Config, RelayConfig } from "../../config/schema.js";
import { testPulseRecord } from "../../daemon/actuate/test-pulse-record.js";
import { Journal } from "../../daemon/journal/journal.js";
import { createMqttClient, mqttClientOptions } from "../../daemon/mqtt/mqtt-client-options.js";
import { MqttConnection } from "../../daemon/mqtt/mqtt-connection.js";
import { gateTopics } from "../../daemon/mqtt/topics.js";
import { systemClock } from "../../platform/clock.js";
import { openDatabase } from "../../platform/database/database.js";
import { createLogger } from "../../platform/log/logger.js";
import { withoutUserInfo } from "../ops/status-text.js";
import { configFileOf } from "../setup/config-file.js";
import { daemonStatus, pulseDirect, pulseViaDaemon, type RelayTestResult } from "../setup/relay-test.js";
import { printJson, usageError } from "../usage.js";

/** How long this command waits for the broker. */
const BROKER_WAIT_MS = 5_000;

/**
 * `passgate relay test <id> [--pulse 500ms] [--json]`: one test pulse with the board's
 * answer. When the gate daemon runs (its retained status says `online`), the pulse is
 * asked of it over MQTT, so only one process drives the board; otherwise this process
 * drives the board with the gate's own driver. Either way it is journaled (kind
 * `system`, reason `test_pulse`), as the daemon journals the pulses it is asked for.
 */
export function registerRelayTestCommand(relay: Command): void {
  relay
    .command("test")
    .description("send a test pulse and show the board's answer (opens the turnstile)")
    .argument("<id>", "the relay's id")
    .option("--pulse <duration>", "how long to open, 100ms to 10s (default: the relay's pulse)")
    .option("--json", "print one JSON document")
    .addHelpText(
      "after",
      `
The turnstile really opens. With the gate running, the gate pulses it on request;
otherwise this command connects to the broker and drives the board.
Exit codes: 0 opened and confirmed; 1 no confirmation, board offline or broker unreachable;
2 usage error.

Examples:
  passgate relay test turnstile
  passgate relay test turnstile --pulse 500ms --json`,
    )
    .action(async (id: string, o: { pulse?: string; json?: boolean }, command: Command) => {
      const pulse = o.pulse === undefined ? undefined : durationSchema.safeParse(o.pulse);
      if (pulse !== undefined && (!pulse.success || pulse.data < 100 || pulse.data > 10_000))
        usageError(command, "--pulse is a duration from 100ms to 10s, such as 500ms or 1s");
      const config = loadConfig(configFileOf(command));
      const relayConfig = config.relays.find((r) => r.id === id);
      if (relayConfig === undefined) {
        const known = config.relays.map((r) => r.id).join(", ") || "none";
        throw new Error(`no relay "${id}" in the config (relays: ${known})`);
      }
      const result = await testRelay(config, relayConfig, pulse?.data ?? relayConfig.pulse);
      if (o.json) printJson(result);
      else process.stdout.write(`${result.message}\n`);
      if (result.result !== "opened") process.exitCode = 1;
    });
}

/** The composition of one test pulse: the MQTT session and the database live only as long as it. */
async function testRelay(config: Config, relay: RelayConfig, pulseMs: number): Promise<RelayTestResult> {
  const logger = createLogger({ level: process.env.PASSGATE_DEBUG ? "debug" : "silent" });
  const clock = systemClock;
  if (relay.driver.type === "log" || config.mqtt === undefined) {
    return journaled(config, relay, (decisionId) =>
      pulseDirect(relay, { clock, logger, pulseMs, decisionId }),
    );
  }
  const mqtt = config.mqtt;
  const topics = gateTopics({ prefix: mqtt.topicPrefix, site: config.site, gate: config.gate });
  // Its own client id: the gate's would disconnect the running gate; no will: this is not the gate.
  const clientId = `passgate-cli-${config.site}-${config.gate}-${randomUUID().slice(0, 8)}`;
  const options = mqttClientOptions(mqtt, {
    site: config.site,
    gate: config.gate,
    statusTopic: topics.status,
  });
  delete options.will;
  options.clientId = clientId;
  const connection = new MqttConnection(createMqttClient(mqtt, options), {
    backoff: { minMs: mqtt.reconnectMin, maxMs: mqtt.reconnectMax },
    logger,
  });
  try {
    await connection.start(BROKER_WAIT_MS);
    if (!connection.connected) {
      return {
        relay: relay.id,
        via: "direct",
        result: "failed",
        ms: 0,
        error: "broker_unreachable",
        message: `relay ${relay.id}: cannot reach the broker ${withoutUserInfo(mqtt.url)} within ${BROKER_WAIT_MS / 1000} s — check mqtt.url and that the broker runs`,
      };
    }
    if ((await daemonStatus(connection, topics, clock)) === "online") {
      return await pulseViaDaemon(connection, topics, relay, mqtt, clock, pulseMs);
    }
    return await journaled(config, relay, (decisionId) =>
      pulseDirect(relay, {
        mqtt: { config: mqtt, connection, clientId },
        clock,
        logger,
        pulseMs,
        decisionId,
      }),
    );
  } finally {
    await connection.stop();
  }
}

/** Journals the test pulse (its entry id goes to the board as the command id), as the gate does. */
async function journaled(
  config: Config,
  relay: RelayConfig,
  pulse: (decisionId: string) => Promise<RelayTestResult>,
): Promise<RelayTestResult> {
  mkdirSync(dirname(config.storage.path), { recursive: true });
  const db = openDatabase(config.storage.path, { synchronous: config.storage.synchronous });
  try {
    const entry = Journal.open(db).append(testPulseRecord(config.gate, relay.id, Date.now(), "cli"));
    return await pulse(entry.id);
  } finally {
    db.close();
  }
}

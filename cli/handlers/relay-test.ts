import { withGateDatabase } from "../../app/gate-database.js";
import type { Config, RelayConfig } from "../../config/schema.js";
import { testPulseRecord } from "../../daemon/actuate/test-pulse-record.js";
import { Journal } from "../../daemon/journal/journal.js";
import { gateClientId } from "../../daemon/mqtt/mqtt-client-options.js";
import type { OwnSigner } from "../../daemon/trust/site-trust.js";
import type { Clock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { stderrDestination } from "../cli-logger.js";
import { escapeLine } from "../ops/escape-control.js";
import { withoutUserInfo } from "../ops/status-text.js";
import { printJson } from "../output.js";
import { cliConnection, operatorSigner } from "../setup/gate-request.js";
import { daemonStatus, pulseDirect, pulseViaDaemon, type RelayTestResult } from "../setup/relay-test.js";

/** How long this command waits for the broker. */
const BROKER_WAIT_MS = 5_000;

/**
 * `passgate relay test <id>`: one test pulse of `pulseMs` (default: the relay's pulse)
 * with the board's answer. With `operator` and the gate daemon running (its retained status
 * says `online`), the pulse is asked of it over MQTT in a request signed with the
 * operator's key; otherwise this process drives the board with the gate's own driver. Either way it is journaled (kind
 * `system`, reason `test_pulse`), as the daemon journals the pulses it is asked for.
 * Sets exit code 1 unless the board confirmed the open; an unknown relay is an Error.
 */
export async function relayTest(
  config: Config,
  id: string,
  options: {
    readonly pulseMs?: number | undefined;
    readonly json: boolean;
    /** Ask the running gate as this operator (signed with its key). */
    readonly operator?: string | undefined;
    readonly keyFile?: string | undefined;
  },
  clock: Clock,
): Promise<void> {
  const relay = config.relays.find((r) => r.id === id);
  if (relay === undefined) {
    const known = config.relays.map((r) => r.id).join(", ") || "none";
    throw new Error(`no relay "${id}" in the config (relays: ${known})`);
  }
  const operator =
    options.operator === undefined ? undefined : operatorSigner(options.operator, options.keyFile);
  const result = await testRelay(config, relay, options.pulseMs ?? relay.pulse, clock, operator);
  if (options.json) printJson(result);
  else process.stdout.write(`${escapeLine(result.message)}\n`);
  if (result.result !== "opened") process.exitCode = 1;
}

/** The composition of one test pulse: the MQTT session and the database live only as long as it. */
async function testRelay(
  config: Config,
  relay: RelayConfig,
  pulseMs: number,
  clock: Clock,
  operator: OwnSigner | undefined,
): Promise<RelayTestResult> {
  // Quiet unless asked: the board's answer is the output, the drivers' logs are for debugging.
  const logger = createLogger({
    level: process.env.PASSGATE_DEBUG ? "debug" : "silent",
    destination: stderrDestination,
  });
  if (relay.driver.type === "log" || config.mqtt === undefined) {
    return journaled(config, relay, clock, (decisionId) =>
      pulseDirect(relay, { clock, logger, pulseMs, decisionId }),
    );
  }
  const mqtt = config.mqtt;
  const { connection, topics } = cliConnection({ ...config, mqtt }, logger);
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
    // The running gate acts only on a request signed by an operator of its roster; without
    // one, this process drives the board itself, as when the gate is stopped.
    if (operator !== undefined && (await daemonStatus(connection, topics, clock)) === "online") {
      return await pulseViaDaemon(connection, topics, relay, mqtt, clock, pulseMs, operator);
    }
    return await journaled(config, relay, clock, (decisionId) =>
      pulseDirect(relay, {
        // A Shelly Gen2 board answers on the gate's reply topic, the one the site's ACLs
        // give the gate's account, not on this session's own (random) client id.
        mqtt: { config: mqtt, connection, clientId: gateClientId(mqtt, config.site, config.gate) },
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
function journaled(
  config: Config,
  relay: RelayConfig,
  clock: Clock,
  pulse: (decisionId: string) => Promise<RelayTestResult>,
): Promise<RelayTestResult> {
  // Open for the pulse's length: the entry is written first, so the board's command can carry its id.
  return withGateDatabase(config.storage, "write", (db) => {
    const entry = Journal.open(db).append(testPulseRecord(config.gate, relay.id, clock.now(), "cli"));
    return pulse(entry.id);
  });
}

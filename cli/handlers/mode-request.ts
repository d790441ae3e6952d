import type { Config, GateMode } from "../../config/schema.js";
import { signedRequest } from "../../daemon/mqtt/signed-request.js";
import type { Clock } from "../../platform/clock.js";
import { createLogger } from "../../platform/log/logger.js";
import { stderrDestination } from "../cli-logger.js";
import { escapeLine } from "../ops/escape-control.js";
import { withoutUserInfo } from "../ops/status-text.js";
import { cliConnection, operatorSigner } from "../setup/gate-request.js";
import { daemonStatus } from "../setup/relay-test.js";

/** How long this command waits for the broker, and for the gate's answer. */
const BROKER_WAIT_MS = 5_000;
const ANSWER_WAIT_MS = 5_000;

/**
 * `passgate mode set <mode> --operator NAME`: asks the running gate for the mode in a request
 * signed with the operator's key (docs/trust.md), as the console does; the gate journals
 * it with the operator's id. The operator must be an admin of the gate's roster. Exit code 1
 * when the gate is not running, does not answer, or refuses.
 */
export async function modeRequest(
  config: Config,
  wanted: GateMode,
  options: { readonly operator: string; readonly keyFile?: string | undefined },
  clock: Clock,
): Promise<void> {
  const operator = operatorSigner(options.operator, options.keyFile);
  const mqtt = config.mqtt;
  if (mqtt === undefined)
    throw new Error(
      "mode set --operator asks the running gate over MQTT, and this gate has no mqtt: section: run it without --operator",
    );
  const logger = createLogger({
    level: process.env.PASSGATE_DEBUG ? "debug" : "silent",
    destination: stderrDestination,
  });
  const { connection, topics } = cliConnection({ ...config, mqtt }, logger);
  try {
    await connection.start(BROKER_WAIT_MS);
    if (!connection.connected)
      return refuse(
        `cannot reach the broker ${withoutUserInfo(mqtt.url)} within ${BROKER_WAIT_MS / 1000} s — check mqtt.url and that the broker runs`,
      );
    if ((await daemonStatus(connection, topics, clock)) !== "online")
      return refuse(
        `gate ${config.gate} is not running (its status on the broker is not online): start it, or set the mode without --operator (it writes the gate's database)`,
      );
    const { answer } = await signedRequest(
      connection,
      topics,
      "mode",
      { mode: wanted },
      operator,
      clock,
      ANSWER_WAIT_MS,
    );
    if (answer === undefined)
      return refuse(
        `gate ${config.gate} did not answer within ${ANSWER_WAIT_MS / 1000} s: is ${operator.id} in its roster, with its key? (passgate trust list)`,
      );
    if (answer.status !== "ok")
      return refuse(
        `gate ${config.gate} refused: ${typeof answer.error === "string" ? escapeLine(answer.error) : "error"}`,
      );
    const changed = answer.data?.changed !== false;
    process.stdout.write(
      `${changed ? "mode set" : "mode unchanged"}: ${wanted} (asked of the running gate ${config.gate} as ${operator.id})\n`,
    );
  } finally {
    await connection.stop();
  }
}

function refuse(message: string): void {
  process.stderr.write(`passgate: ${message}\n`);
  process.exitCode = 1;
}

import { randomUUID } from "node:crypto";
import type { Clock } from "../../platform/clock.js";
import { signMessage } from "../trust/signed-message.js";
import type { OwnSigner } from "../trust/site-trust.js";
import type { MqttConnection } from "./mqtt-connection.js";
import type { GateCommand, GateTopics } from "./topics.js";

/** The running gate's answer to a request (docs/mqtt.md), or undefined when none came in time. */
export interface GateAnswer {
  readonly status?: unknown;
  readonly data?: Record<string, unknown>;
  readonly error?: unknown;
}

/**
 * Sends `command` to the running gate as a message signed by `operator` (site-roster.md),
 * with a fresh transaction id (`<transactionPrefix>-<uuid>`), and waits up to `timeoutMs`
 * for the answer that echoes it. A gate answers only requests its roster's operators
 * signed: no answer may also mean the operator is not in that roster. The CLI and the
 * console both ask gates through this one function.
 */
export async function signedRequest(
  connection: MqttConnection,
  topics: Pick<GateTopics, "request" | "response">,
  command: GateCommand,
  body: Record<string, unknown>,
  operator: OwnSigner,
  clock: Clock,
  timeoutMs: number,
  transactionPrefix = "cli",
): Promise<{ answer: GateAnswer | undefined; ms: number }> {
  const transaction = `${transactionPrefix}-${randomUUID()}`;
  let answered: (answer: GateAnswer) => void = () => undefined;
  const answer = new Promise<GateAnswer>((resolve) => {
    answered = resolve;
  });
  const unsubscribe = connection.subscribe(topics.response(command), (_t, payload) => {
    try {
      const parsed = JSON.parse(payload.toString("utf8")) as GateAnswer & { transaction?: unknown };
      if (parsed.transaction === transaction) answered(parsed);
    } catch {
      // Not JSON: another client's response on the shared topic, not the answer to ours.
      return;
    }
  });
  const sent = clock.now();
  const topic = topics.request(command);
  const request = signMessage({
    topic,
    signer: operator.id,
    privateKey: operator.privateKey,
    body: { ...body, transaction },
    at: clock.now(),
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    connection.publish(topic, JSON.stringify(request), { qos: 1 });
    return { answer: await Promise.race([answer, timeout]), ms: clock.now() - sent };
  } finally {
    clearTimeout(timer);
    unsubscribe();
  }
}

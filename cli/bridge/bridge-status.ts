import type { BridgeConfig } from "../../config/bridge-schema.js";
import { createLogger } from "../../platform/log/logger.js";
import { escapeControl } from "../ops/escape-control.js";
import { printJson } from "../output.js";
import { cliConnection } from "../setup/gate-request.js";

const WAIT_MS = 3_000;

/**
 * `passgate bridge status`: the bridge's retained status and state as the broker has them
 * (what the gate sees too): online or not, readers, scans sent, answered, dropped.
 */
export async function bridgeStatus(
  config: BridgeConfig,
  options: { readonly json?: boolean | undefined },
): Promise<void> {
  const { connection, topics } = cliConnection(config, createLogger({ level: "silent" }));
  let status: string | undefined;
  let state: Record<string, unknown> | undefined;
  connection.subscribe(topics.bridgeStatus(config.name), (_t, p) => {
    status = p.toString("utf8");
  });
  connection.subscribe(topics.bridgeState(config.name), (_t, p) => {
    try {
      state = JSON.parse(p.toString("utf8")) as Record<string, unknown>;
    } catch {
      state = undefined;
    }
  });
  try {
    await connection.start(WAIT_MS);
    if (!connection.connected)
      throw new Error(`cannot reach the broker within ${WAIT_MS / 1000} s: check mqtt.url`);
    const started = Date.now();
    while ((status === undefined || state === undefined) && Date.now() - started < 1_000)
      await new Promise((r) => setTimeout(r, 20));
  } finally {
    await connection.stop();
  }
  if (options.json === true) {
    printJson({ status: status ?? null, state: state ?? null });
    return;
  }
  if (status === undefined) {
    process.stdout.write(`bridge:${config.name}: never seen on the broker (not started yet?)\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`bridge:${config.name} of gate ${config.gate}: ${escapeControl(status)}\n`);
  if (state !== undefined) process.stdout.write(`${escapeControl(JSON.stringify(state, null, 2))}\n`);
  if (status !== "online") process.exitCode = 1;
}

import { randomUUID } from "node:crypto";
import { type BridgeConfig, bridgeMemberId } from "../../config/bridge-schema.js";
import { KeyFileError, keyFingerprint, publicKeyText, readKeyFile } from "../../daemon/trust/key-file.js";
import { createLogger } from "../../platform/log/logger.js";
import { cliConnection } from "../setup/gate-request.js";
import { checkReaders, checkUdevRule } from "./device-checks.js";
import { type CheckResult, errorText, fail, ok, warn } from "./doctor-check.js";
import type { DoctorPorts } from "./doctor-ports.js";
import { checkBroker, checkClock, NETWORK_TIMEOUT_MS } from "./network-checks.js";
import { SHIPPED_UDEV_RULES } from "./run-doctor.js";

/**
 * `passgate bridge doctor`: what a reader bridge needs (docs/bridge.md) — its key, its
 * readers and their udev rules, a synced clock (scans older than 2 s are refused), the
 * broker, the gate's key to check answers with, and whether its gate has it paired.
 */
export async function runBridgeDoctor(
  input: { readonly configFile: string; readonly config: BridgeConfig },
  ports: DoctorPorts,
): Promise<CheckResult[]> {
  const { config } = input;
  const results: CheckResult[] = [ok("config", `${input.configFile} is valid`)];
  results.push(checkBridgeKey(config, ports));
  results.push(
    config.gateKey === undefined
      ? fail(
          "gate-key",
          "no gateKey: the bridge cannot check the gate's answers and plays 'try again' for every scan",
          `passgate keys show on gate ${config.gate}, then set gateKey in ${input.configFile}`,
        )
      : ok(
          "gate-key",
          `answers are checked against the key of gate ${config.gate} (${keyFingerprint(config.gateKey)})`,
        ),
  );
  const readerResults = await checkReaders(config, ports);
  results.push(...readerResults);
  results.push(checkUdevRule(config, ports.readText(SHIPPED_UDEV_RULES), ports, readerResults));
  results.push(await checkClock(ports));
  const broker = await checkBroker(config, ports);
  results.push(broker);
  if (broker.status === "ok") results.push(await checkPaired(config));
  return results;
}

function checkBridgeKey(config: BridgeConfig, ports: DoctorPorts): CheckResult {
  const facts = ports.stat(config.keyFile);
  if (facts === undefined)
    return fail("bridge-key", `${config.keyFile} does not exist`, "passgate bridge init");
  if ((facts.mode & 0o077) !== 0)
    return fail(
      "bridge-key",
      `${config.keyFile} may be read by others (mode ${(facts.mode & 0o777).toString(8)})`,
      `chmod 600 ${config.keyFile}`,
    );
  try {
    return ok(
      "bridge-key",
      `${bridgeMemberId(config)} signs with ${keyFingerprint(publicKeyText(readKeyFile(config.keyFile)))}`,
    );
  } catch (err) {
    if (!(err instanceof KeyFileError)) throw err;
    return fail("bridge-key", errorText(err), "passgate bridge init --force, then pair again");
  }
}

/** Asks the gate's `status` (open to anyone; it changes nothing) whether this bridge is paired. */
async function checkPaired(config: BridgeConfig): Promise<CheckResult> {
  const { connection, topics } = cliConnection(config, createLogger({ level: "silent" }));
  const transaction = `doctor-${randomUUID()}`;
  let bridges: { id?: unknown; paired?: unknown }[] | undefined;
  connection.subscribe(topics.response("status"), (_t, payload) => {
    try {
      const answer = JSON.parse(payload.toString("utf8")) as {
        transaction?: unknown;
        data?: { bridges?: unknown };
      };
      if (answer.transaction === transaction && Array.isArray(answer.data?.bridges))
        bridges = answer.data.bridges;
    } catch {
      // Another client's answer, or not JSON: not ours.
    }
  });
  try {
    await connection.start(NETWORK_TIMEOUT_MS);
    // The subscription goes out on connect; give it a moment before asking.
    await new Promise((resolve) => setTimeout(resolve, 100));
    connection.publish(topics.request("status"), JSON.stringify({ transaction }), { qos: 1 });
    const started = Date.now();
    while (bridges === undefined && Date.now() - started < NETWORK_TIMEOUT_MS)
      await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    await connection.stop();
  }
  const id = bridgeMemberId(config);
  if (bridges === undefined)
    return warn(
      "paired",
      `gate ${config.gate} did not answer its status`,
      `check that gate ${config.gate} runs`,
    );
  if (bridges.some((b) => b.id === id && b.paired === true))
    return ok("paired", `gate ${config.gate} has ${id} in its roster`);
  return fail(
    "paired",
    `gate ${config.gate} does not have ${id} in its roster: it acts on none of its scans`,
    `passgate bridge pair, then at the gate: passgate trust add --record '<the record>'`,
  );
}

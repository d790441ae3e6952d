import type { Readable } from "node:stream";
import { type BridgeConfig, bridgeMemberId } from "../../config/bridge-schema.js";
import type { ReaderConfig } from "../../config/schema.js";
import { createMqttClient, mqttClientOptions } from "../../daemon/mqtt/mqtt-client-options.js";
import { MqttConnection } from "../../daemon/mqtt/mqtt-connection.js";
import { gateTopics } from "../../daemon/mqtt/topics.js";
import { readKeyFile } from "../../daemon/trust/key-file.js";
import type { Clock } from "../../platform/clock.js";
import { LogThrottle } from "../../platform/log/log-throttle.js";
import type { Logger } from "../../platform/log/logger.js";
import { PairingWatch } from "../../reader-bridge/bridge/pairing-watch.js";
import { type PlayedAnswer, ScanSender } from "../../reader-bridge/bridge/scan-sender.js";
import { nodeHidSystem } from "../../reader-bridge/hid-system.js";
import { type ReaderSet, startReaders } from "../../reader-bridge/reader-set.js";
import { nodeSerialSystem } from "../../reader-bridge/serial-system.js";
import { type BridgeState, bridgeState } from "./bridge-state.js";

/** How often the retained state is published even when nothing changed. */
const STATE_EVERY_MS = 10_000;

export interface RunningBridge {
  /** Resolves when a stdin reader's stream ended, or `stop` was called. */
  readonly done: Promise<void>;
  state(): BridgeState;
  stop(): Promise<void>;
}

/**
 * `passgate bridge run`: the reader bridge beside a turnstile (docs/bridge.md). Reads its
 * readers with the gate's own reader code (hot-plug, hygiene, keyboard-layout-independent
 * HID), sends each scan to its gate as a message signed with the bridge's key, plays the
 * gate's signed answer on the reader (or "try again" when none comes), and keeps a retained
 * `online`/`offline` status (its will) and state on the broker. Started in order: key,
 * broker session, the sender, then the readers, so the first scan finds a whole bridge;
 * stopped in reverse.
 */
export async function startBridge(
  config: BridgeConfig,
  deps: {
    readonly clock: Clock;
    readonly logger: Logger;
    readonly stdin: Readable;
    readonly version: string;
    /** Each answer as the reader plays it (the simulator counts its "try again"s); never the scan text. */
    readonly onPlayed?: (answer: PlayedAnswer) => void;
  },
): Promise<RunningBridge> {
  const { clock, logger } = deps;
  const id = bridgeMemberId(config);
  const signer = { id, privateKey: readKeyFile(config.keyFile) };
  const topics = gateTopics({ prefix: config.mqtt.topicPrefix, site: config.site, gate: config.gate });
  const statusTopic = topics.bridgeStatus(config.name);
  const options = mqttClientOptions(config.mqtt, { site: config.site, gate: config.gate, statusTopic });
  // Its own client id: the gate's default would take the gate's session away.
  options.clientId = config.mqtt.clientId ?? `passgate-bridge-${config.site}-${config.name}`;
  const connection = new MqttConnection(createMqttClient(config.mqtt, options), {
    statusTopic,
    backoff: {
      minMs: config.mqtt.reconnectMin,
      maxMs: Math.max(config.mqtt.reconnectMin, config.mqtt.reconnectMax),
    },
    logger: logger.child({ component: "mqtt" }),
  });

  let readers: ReaderSet | undefined;
  const rejected = new Map<string, number>();
  const log = logger.child({ component: "bridge" });
  const rejectionLogs = new LogThrottle(() => clock.now());
  const play = (answer: PlayedAnswer) => {
    if (answer.answered) pairing.answered();
    else pairing.recheck();
    void readers?.feedback(answer.reader, answer.result);
    connection.publish(topics.bridgeDisplay(config.name), JSON.stringify({ ...answer, at: clock.now() }), {
      properties: { messageExpiryInterval: 5 },
    });
    log.info(
      { reader: answer.reader, seq: answer.seq, result: answer.result, reason: answer.reason, ms: answer.ms },
      answer.answered ? `${answer.result} ${answer.reason}` : "no answer from the gate: try again",
    );
    deps.onPlayed?.(answer);
  };
  const sender = new ScanSender(
    connection,
    {
      topics,
      signer,
      gate:
        config.gateKey === undefined
          ? undefined
          : { id: `gate:${config.gate}`, gate: config.gate, publicKey: config.gateKey },
      freshnessMs: config.freshness,
      answerTimeoutMs: config.answerTimeout,
      readers: config.readers.map((r) => r.id),
    },
    { clock, logger: log, play },
  );
  if (config.gateKey === undefined)
    log.warn(
      "no gateKey in the config: answers cannot be checked, every scan plays 'try again' (docs/bridge.md)",
    );

  const state = () =>
    bridgeState({
      config,
      id,
      version: deps.version,
      sender,
      readers,
      rejected,
      connected: connection.connected,
      paired: pairing.paired,
      now: clock.now(),
    });
  const publishState = () => {
    connection.publish(topics.bridgeState(config.name), JSON.stringify(state()), { qos: 1, retain: true });
  };

  const pairing = new PairingWatch(connection, topics, id, (paired) => {
    if (paired) log.info({ bridge: id, gate: config.gate }, "paired: the gate acts on this bridge's scans");
    else
      log.warn(
        { bridge: id, gate: config.gate },
        "unpaired: the gate acts on none of this bridge's scans (passgate bridge pair, then trust add at the gate)",
      );
    publishState();
  });
  sender.start();
  pairing.start();
  await connection.start(0);
  const stateTimer = setInterval(publishState, STATE_EVERY_MS);
  stateTimer.unref();
  const offState = connection.onConnection((up) => {
    if (up) publishState();
  });
  readers = await startReaders(
    config.readers as readonly ReaderConfig[],
    { clock, logger: log, stdin: deps.stdin, serial: nodeSerialSystem(), hid: nodeHidSystem() },
    {
      scan: (_reader, scan) => {
        sender.send(scan);
        // The answer comes from the gate, later: the reader plays it then (ScanSender).
        return undefined;
      },
      rejected: (reader, reason) => {
        rejected.set(reason, (rejected.get(reason) ?? 0) + 1);
        const held = rejectionLogs.admit(`${reader}:${reason}`);
        if (held !== undefined) log.warn({ reader, reason, held }, "scan input rejected");
      },
    },
  );
  log.info({ bridge: id, gate: config.gate, readers: config.readers.map((r) => r.id) }, "bridge ready");
  publishState();

  let stopping: Promise<void> | undefined;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  void Promise.all(readers.ended).then(() => {
    if (readers !== undefined && readers.ended.length > 0) resolveDone();
  });
  return {
    done,
    state,
    stop: () => {
      stopping ??= (async () => {
        await readers?.stop();
        clearInterval(stateTimer);
        offState();
        sender.stop();
        pairing.stop();
        await connection.stop();
        resolveDone();
      })();
      return stopping;
    },
  };
}

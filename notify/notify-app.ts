import type { IClientOptions } from "mqtt";
import { createTransport } from "nodemailer";
import { createMqttClient, mqttClientOptions } from "../daemon/mqtt/mqtt-client-options.js";
import { MqttConnection } from "../daemon/mqtt/mqtt-connection.js";
import type { Clock } from "../platform/clock.js";
import { type Db, openDatabase } from "../platform/database/database.js";
import { describeError } from "../platform/log/describe-error.js";
import type { Logger } from "../platform/log/logger.js";
import type { DeliveryChannel } from "./delivery-channel.js";
import { DeliveryStore, migrateNotifyDatabase } from "./delivery-store.js";
import { DeliveryWorker } from "./delivery-worker.js";
import { EmailChannel } from "./email-channel.js";
import { loadGateRoster } from "./gate-roster.js";
import { type ChannelKind, loadGuardianDirectory } from "./guardian-directory.js";
import { noticeTopic } from "./notice.js";
import { NoticeIntake } from "./notice-intake.js";
import type { NotifyConfig } from "./notify-config.js";
import { readSecretFile } from "./secret-file.js";
import { WebhookChannel } from "./webhook-channel.js";

/** The shortest webhook secret taken: 16 bytes, 128 bits if random. */
export const MIN_WEBHOOK_SECRET_BYTES = 16;

/** One part of the running notifier: a constructor that does nothing, `start()`, `stop()`. */
interface Part {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface NotifyDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  /** Jitter of the retries; tests pass their own. */
  readonly random?: () => number;
}

/** The running notifier, as `passgate notify run` and the tests hold it. */
export interface RunningNotifier {
  readonly store: DeliveryStore;
  readonly intake: NoticeIntake;
  readonly worker: DeliveryWorker;
  readonly connection: MqttConnection;
  /**
   * Reads the gates' roster and the guardians file again (SIGHUP) and uses them from the
   * next notice and the next attempt on; throws `ConfigError` and keeps the ones in force
   * when either cannot be used. Returns how many of each are now in force.
   */
  reload(): { gates: number; guardians: number };
  /** Stops every part, the last started first; safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * The channels this config can deliver on, made by the composition root only: the SMTP
 * transport (nodemailer) with `delivery.timeout` on each of its steps, the webhook with
 * its secret. Secret files must be private (0600).
 */
export function createChannels(config: NotifyConfig, clock: Clock): Map<ChannelKind, DeliveryChannel> {
  const channels = new Map<ChannelKind, DeliveryChannel>();
  const timeout = config.delivery.timeout;
  if (config.smtp !== undefined) {
    const { host, port, secure, requireTls, username, passwordFile, from } = config.smtp;
    const transport = createTransport({
      // A few kept connections instead of one per mail: 1,000 deliveries of 500 notices
      // (mail and webhook) went out at 128 a second instead of 31 on a loopback server.
      pool: true,
      maxConnections: 4,
      host,
      port,
      secure,
      requireTLS: !secure && requireTls,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      ...(username !== undefined && {
        auth: {
          user: username,
          pass:
            passwordFile === undefined
              ? ""
              : readSecretFile(passwordFile, "the SMTP password file").toString(),
        },
      }),
    });
    channels.set("email", new EmailChannel(transport, { from, timeZone: config.timeZone }));
  }
  if (config.webhook !== undefined) {
    const secret = readSecretFile(
      config.webhook.secretFile,
      "the webhook secret file",
      MIN_WEBHOOK_SECRET_BYTES,
    );
    channels.set(
      "webhook",
      new WebhookChannel({ secret, timeZone: config.timeZone, timeoutMs: timeout, clock }),
    );
  }
  return channels;
}

/**
 * The notifier's MQTT client options: the gate's (mqtt-client-options.ts) with a session the
 * broker keeps for `mqtt.sessionExpiry` (clean: false), so notices published while the
 * service restarts wait for it, and no will: the notifier announces no gate status.
 */
export function notifierClientOptions(config: NotifyConfig): IClientOptions {
  const options = mqttClientOptions(
    { ...config.mqtt, clientId: config.mqtt.clientId ?? `passgate-notify-${config.site}` },
    { site: config.site, gate: "notify", statusTopic: "" },
  );
  delete options.will;
  options.clean = false;
  if (config.mqtt.protocolVersion === 5)
    options.properties = {
      ...options.properties,
      sessionExpiryInterval: Math.round(config.mqtt.sessionExpiry / 1000),
    };
  return options;
}

/**
 * Builds and starts the notifier (docs/notices.md): the channels, the queue's database, the
 * delivery worker, the intake of notices and the MQTT session, in that order; stopped in
 * reverse, so no notice arrives once the stop began and the worker finishes the deliveries
 * under way before the database closes. Each part is built once what it uses
 * has started. The one place that opens the database, the broker connection and the channels.
 */
export async function startNotifier(config: NotifyConfig, deps: NotifyDeps): Promise<RunningNotifier> {
  const { clock, logger } = deps;
  // Everything that can be wrong in a file is read first: nothing is opened for a bad config.
  let roster = loadGateRoster(config.gates);
  let directory = loadGuardianDirectory(config.guardians);
  // The broker password is read by the MQTT client's options; checked here first to be private.
  if (config.mqtt.passwordFile !== undefined)
    readSecretFile(config.mqtt.passwordFile, "the broker password file");
  const channels = createChannels(config, clock);

  const started: Part[] = [];
  const stopAll = async (): Promise<void> => {
    for (const part of started.splice(0).reverse()) {
      try {
        await part.stop();
      } catch (err) {
        logger.error({ component: part.name, err: describeError(err) }, "part failed to stop");
      }
    }
  };
  const run = async <P extends Part>(part: P): Promise<P> => {
    await part.start();
    started.push(part);
    return part;
  };
  started.push({
    name: "channels",
    start: async () => {},
    stop: async () => {
      for (const channel of channels.values()) await channel.close();
    },
  });
  try {
    let db: Db | undefined;
    await run({
      name: "storage",
      start: async () => {
        db = openDatabase(config.database);
        try {
          migrateNotifyDatabase(db);
        } catch (err) {
          db.close();
          throw err;
        }
      },
      stop: async () => {
        db?.close();
      },
    });
    const store = new DeliveryStore(db as Db);
    const worker = await run(
      new DeliveryWorker({
        store,
        directory: () => directory,
        channels,
        retry: {
          firstMs: config.delivery.retryFirst,
          maxMs: config.delivery.retryMax,
          giveUpAfterMs: config.delivery.giveUpAfter,
        },
        keepMs: config.delivery.keep,
        clock,
        logger: logger.child({ component: "delivery" }),
        ...(deps.random && { random: deps.random }),
      }),
    );
    const client = createMqttClient(config.mqtt, notifierClientOptions(config));
    const connection = new MqttConnection(client, {
      backoff: { minMs: config.mqtt.reconnectMin, maxMs: config.mqtt.reconnectMax },
      logger: logger.child({ component: "mqtt" }),
    });
    // The intake subscribes before the session starts: the notices the broker kept for this
    // service arrive right after it connects, and must find someone listening.
    const intake = await run(
      new NoticeIntake({
        connection,
        topic: noticeTopic(config.topicPrefix, config.site),
        roster: () => roster,
        directory: () => directory,
        channels: new Set(channels.keys()),
        store,
        onQueued: () => worker.wake(),
        clock,
        logger: logger.child({ component: "intake" }),
      }),
    );
    await run({ name: "mqtt", start: () => connection.start(), stop: () => connection.stop() });
    logger.info(
      { site: config.site, gates: roster.size, guardians: directory.size, channels: [...channels.keys()] },
      "notifier started",
    );
    let stopping: Promise<void> | undefined;
    return {
      store,
      intake,
      worker,
      connection,
      reload: () => {
        // Both files are read before either is used: a broken one changes nothing.
        const gates = loadGateRoster(config.gates);
        const guardians = loadGuardianDirectory(config.guardians);
        roster = gates;
        directory = guardians;
        logger.info({ gates: gates.size, guardians: guardians.size }, "gates and guardians read again");
        return { gates: gates.size, guardians: guardians.size };
      },
      stop: () => {
        stopping ??= stopAll();
        return stopping;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

import { readFileSync } from "node:fs";
import { connect, type IClientOptions, type MqttClient } from "mqtt";
import type { MqttConfig } from "../../config/mqtt-schema.js";
import { MAX_INBOUND_BYTES, STATUS_PAYLOADS } from "./topics.js";

/** What a session needs of the `mqtt:` settings (the gate's or a reader bridge's). */
export type MqttSessionConfig = Pick<
  MqttConfig,
  "url" | "username" | "passwordFile" | "clientId" | "protocolVersion" | "tls" | "keepalive"
>;

/** Reads a secret or certificate file; tests pass their own. */
export type ReadFile = (path: string) => Buffer;

/**
 * Which client the options are for; the broker, credentials and TLS are the same for all.
 * - `gate` (the default): the gate's one session, with the retained `offline` will on
 *   `statusTopic`; reconnects are driven by MqttConnection's backoff.
 * - `readers`: the firmware readers' own client, when no gate session is there to share
 *   (`passgate reader test`): client id `<id>-readers`, no will (it is not the gate), and
 *   mqtt.js reconnecting every second, so a reader is read again soon after the broker returns.
 */
export type MqttClientRole =
  | {
      readonly kind?: "gate";
      readonly site: string;
      readonly gate: string;
      readonly statusTopic: string;
    }
  | { readonly kind: "readers"; readonly site: string; readonly gate: string };

/**
 * The largest packet passgate takes from the broker (MQTT 5 Maximum Packet Size): the
 * largest payload it reads plus room for the topic and properties. The broker then drops
 * anything larger before sending it (mosquitto does so silently), so an oversized publish
 * is never buffered by the gate; MqttConnection still bounds payloads for MQTT 3.1.1.
 */
export const MAX_PACKET_BYTES = MAX_INBOUND_BYTES + 1024;

/** The readers' own client reconnects this often, ms; the broker's return is noticed within it. */
const READERS_RECONNECT_MS = 1_000;

/**
 * mqtt.js options for every client passgate opens to the configured broker: MQTT 5 unless
 * the config asks for 3.1.1; client id `mqtt.clientId`, default `passgate-<site>-<gate>`;
 * no offline queue (`queueQoSZero: false`: an open sent late would open the turnstile after
 * the person left); the username, the password read from `passwordFile`, and the TLS files.
 * The password is the file's text without its trailing line ending (one `\n` or `\r\n`, as
 * `echo secret > file` leaves it); anything else in the file, spaces included, is part of it.
 * `role` says what differs between the gate's session and the readers' own client.
 */
/**
 * A gate's MQTT client id: `mqtt.clientId`, default `passgate-<site>-<gate>`. The site's
 * ACLs name it (`passgate broker acl`): a Shelly Gen2 board answers on `<it>/rpc`.
 */
export function gateClientId(
  mqtt: { readonly clientId?: string | undefined },
  site: string,
  gate: string,
): string {
  return mqtt.clientId ?? `passgate-${site}-${gate}`;
}

export function mqttClientOptions(
  config: MqttSessionConfig,
  role: MqttClientRole,
  readFile: ReadFile = readFileSync,
): IClientOptions {
  const clientId = gateClientId(config, role.site, role.gate);
  const options: IClientOptions = {
    protocolVersion: config.protocolVersion,
    clientId: role.kind === "readers" ? `${clientId}-readers` : clientId,
    clean: true,
    keepalive: Math.max(1, Math.round(config.keepalive / 1000)),
    connectTimeout: 5_000,
    queueQoSZero: false,
    // Without this mqtt-packet fills a cache of 65,536 two-byte Buffers on the first packet
    // (6 MB of heap, a tenth of a reader bridge's memory) to save allocating two bytes per
    // packet id it writes.
    writeCache: false,
    // mqtt.js calls its `debug` logger a dozen times per packet even when it is off (12 µs a
    // scan at the gate); it stays available with DEBUG=mqttjs* for troubleshooting.
    ...(process.env.DEBUG?.includes("mqttjs") ? {} : { log: () => undefined }),
  };
  if (config.protocolVersion === 5) options.properties = { maximumPacketSize: MAX_PACKET_BYTES };
  if (role.kind === "readers") {
    // Each MqttScanSource subscribes again on every connect; mqtt.js only has to reconnect.
    options.reconnectPeriod = READERS_RECONNECT_MS;
  } else {
    // MqttConnection reconnects with its own backoff and subscribes again by itself.
    options.reconnectPeriod = 0;
    options.resubscribe = false;
    options.will = {
      topic: role.statusTopic,
      payload: Buffer.from(STATUS_PAYLOADS.offline),
      qos: 1,
      retain: true,
    };
  }
  if (config.username !== undefined) options.username = config.username;
  if (config.passwordFile !== undefined) options.password = readPassword(readFile(config.passwordFile));
  if (config.tls !== undefined) {
    const { ca, cert, key, rejectUnauthorized } = config.tls;
    options.rejectUnauthorized = rejectUnauthorized;
    if (ca !== undefined) options.ca = readFile(ca);
    if (cert !== undefined) options.cert = readFile(cert);
    if (key !== undefined) options.key = readFile(key);
  }
  return options;
}

/** A password file's text without its trailing line ending (`\n` or `\r\n`), nothing else removed. */
function readPassword(file: Buffer): string {
  return file.toString("utf8").replace(/\r?\n$/, "");
}

/** Creates the client; it starts connecting at once. Only the composition root calls this. */
export function createMqttClient(config: Pick<MqttConfig, "url">, options: IClientOptions): MqttClient {
  return connect(config.url, options);
}

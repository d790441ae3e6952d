import { connect, type IClientOptions, type MqttClient } from "mqtt";
import {
  framedRead,
  repeatReads,
  type ScanTyping,
  type ScanTypingOptions,
  scanTyping,
} from "./scan-typing.js";

export interface MqttScannerOptions extends Omit<ScanTypingOptions, "charDelayMs"> {
  /**
   * tasmota: `{"SerialReceived":"…"}` on `tele/<deviceTopic>/RESULT`, as Tasmota's serial
   * bridge publishes what the scanner on its UART sent; raw: the read itself as payload
   * on `rawTopic`.
   */
  readonly format: "tasmota" | "raw";
  /** Tasmota's device topic (the `%topic%` in tele/%topic%/RESULT). */
  readonly deviceTopic?: string;
  /** Topic for the raw format. */
  readonly rawTopic?: string;
  /** Tasmota: `software` publishes SSerialReceived (a scanner on a software serial port). */
  readonly serialPort?: "hardware" | "software";
  /** MQTT protocol version; 4 (3.1.1, what Tasmota speaks and aedes supports) by default. */
  readonly protocolVersion?: 4 | 5;
  /** QoS of the scan messages; 0 by default, as Tasmota publishes telemetry. */
  readonly qos?: 0 | 1;
}

/**
 * A firmware barcode reader on MQTT: a scanner on the UART of an ESP board whose
 * firmware publishes each read. It has its own client, as a real board has, with
 * Tasmota's retained LWT `Online`/`Offline` on tele/<topic>/LWT. The firmware publishes
 * what it buffered from the UART at once, so the scanner's character pacing does not
 * show on MQTT; its terminator, affixes and repeated reads do.
 */
export class MqttScannerEmulator {
  private client: MqttClient | undefined;
  private readonly typing: ScanTyping;
  readonly topic: string;
  private readonly lwtTopic: string | undefined;

  constructor(private readonly options: MqttScannerOptions) {
    this.typing = scanTyping(options);
    if (options.format === "tasmota") {
      if (options.deviceTopic === undefined || /[+#/]/.test(options.deviceTopic))
        throw new RangeError("tasmota format: expected deviceTopic, one topic level without wildcards");
      this.topic = `tele/${options.deviceTopic}/RESULT`;
      this.lwtTopic = `tele/${options.deviceTopic}/LWT`;
    } else {
      if (options.rawTopic === undefined || /[+#]/.test(options.rawTopic))
        throw new RangeError("raw format: expected rawTopic without wildcards");
      this.topic = options.rawTopic;
      this.lwtTopic = undefined;
    }
  }

  /** Connects to the broker at `url`; resolves once connected. */
  async start(url: string): Promise<void> {
    const lwt = this.lwtTopic;
    const options: IClientOptions = {
      protocolVersion: this.options.protocolVersion ?? 4,
      clientId: `emu-scanner-${Math.random().toString(16).slice(2, 10)}`,
      reconnectPeriod: 100,
      connectTimeout: 2_000,
      ...(lwt === undefined
        ? {}
        : { will: { topic: lwt, payload: Buffer.from("Offline"), qos: 1, retain: true } }),
    };
    const client = connect(url, options);
    this.client = client;
    if (lwt !== undefined)
      client.on("connect", () => client.publish(lwt, "Online", { qos: 1, retain: true }));
    if (!client.connected) {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: Error) => {
          client.off("connect", onConnect);
          reject(err);
        };
        const onConnect = () => {
          client.off("error", onError);
          resolve();
        };
        client.once("connect", onConnect);
        client.once("error", onError);
      });
    }
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Publishes one scan of `text` (a live token: never logged) with the configured reads. */
  async scan(text: string): Promise<void> {
    const client = this.client;
    if (client === undefined) throw new Error("MQTT scanner emulator not started");
    const read = framedRead(text, this.typing);
    const payload =
      this.options.format === "raw"
        ? read
        : JSON.stringify({
            [this.options.serialPort === "software" ? "SSerialReceived" : "SerialReceived"]:
              read.toString("utf8"),
          });
    await repeatReads(this.typing, async () => {
      await client.publishAsync(this.topic, payload, { qos: this.options.qos ?? 0 });
    });
  }

  /** Disconnects cleanly (the retained LWT is then set to Offline as Tasmota does on restart). */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return;
    if (client.connected && this.lwtTopic !== undefined)
      await client.publishAsync(this.lwtTopic, "Offline", { qos: 1, retain: true });
    await client.endAsync();
  }
}

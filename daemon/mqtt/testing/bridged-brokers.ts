import { TestMosquitto } from "./mosquitto.js";
import { TcpLink } from "./tcp-link.js";

/** Two real mosquittos bridged to each other through a link a test can cut. */
export interface BridgedBrokers {
  /** The broker the bridge connects to (a campus's core). */
  readonly core: TestMosquitto;
  /** The broker that holds the bridge `connection` (a building's). */
  readonly building: TestMosquitto;
  /** The network between them: `cut()` is a partition, `restore()` ends it. */
  readonly link: TcpLink;
  close(): Promise<void>;
}

/**
 * The mosquitto.conf lines of a bridge from a building's broker to the core at `address`,
 * carrying `topics` (patterns) both ways, as docs/scale.md gives them: MQTT 5, no loops
 * back (`try_private`), sessions kept on both sides (`cleansession false`) so what was
 * published during a partition crosses once the link is back, a quick retry after the link
 * breaks (1 s here; 5–30 s on a site).
 */
export function bridgeConfigLines(address: string, topics: readonly string[]): string[] {
  return [
    "connection building-to-core",
    `address ${address}`,
    "bridge_protocol_version mqttv50",
    "try_private true",
    "cleansession false",
    "restart_timeout 1",
    "keepalive_interval 2",
    "notifications false",
    ...topics.map((t) => `topic ${t} both 1`),
  ];
}

/** Starts the core broker, the link to it, and the building's broker bridged over the link. */
export async function startBridgedBrokers(topics: readonly string[]): Promise<BridgedBrokers> {
  const core = await TestMosquitto.start();
  const link = await TcpLink.start(core.port);
  const building = await TestMosquitto.start({
    config: ["allow_anonymous true", ...bridgeConfigLines(`127.0.0.1:${link.port}`, topics)],
  });
  return {
    core,
    building,
    link,
    close: async () => {
      await building.close();
      await link.cut();
      await core.close();
    },
  };
}

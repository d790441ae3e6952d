import { createInterface } from "node:readline";
import { connectAsync } from "mqtt";

/**
 * The far end of a floor that crosses processes (bench/bridge-bench.ts): a bare MQTT client
 * in a process of its own, as a reader bridge is. For each `ping` line on stdin it publishes
 * `pingBytes` bytes on `pingTopic` at QoS `pingQos`, waits for the first message on
 * `pongTopic` and prints the round trip in µs on its monotonic clock (performance.now()),
 * as the bridge times its scans; `ready` once subscribed.
 *
 * `node [flags] --import tsx bench/ping-process.ts <url> <pingTopic> <pongTopic> <pingBytes> <pingQos>`
 */
const [url, pingTopic, pongTopic, bytes, qos] = process.argv.slice(2);
if (url === undefined || pingTopic === undefined || pongTopic === undefined)
  throw new Error("usage: ping-process.ts <url> <pingTopic> <pongTopic> <pingBytes> <pingQos>");
const payload = "x".repeat(Number(bytes));
const pingQos = qos === "1" ? 1 : 0;

const client = await connectAsync(url, { protocolVersion: 5, writeCache: false });
// As every passgate session does (daemon/mqtt/mqtt-connection.ts).
(client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
let started: number | undefined;
client.on("message", () => {
  if (started === undefined) return;
  const us = (performance.now() - started) * 1000;
  started = undefined;
  process.stdout.write(`${us.toFixed(2)}\n`);
});
await client.subscribeAsync(pongTopic, { qos: 1 });
process.stdout.write("ready\n");

createInterface({ input: process.stdin }).on("line", (line) => {
  if (line !== "ping") return;
  started = performance.now();
  client.publish(pingTopic, payload, { qos: pingQos });
});
process.stdin.on("end", () => {
  void client.endAsync().then(() => process.exit(0));
});

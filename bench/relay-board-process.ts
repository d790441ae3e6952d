import { connectAsync } from "mqtt";
import { GenericRelayEmulator } from "../sim/devices/generic-relay-emulator.js";

/**
 * The far end of `mqtt scan→relay` (bench/mqtt-bench.ts), in a process of its own as a relay
 * board is a device of its own: the emulated board, and beside it the floor's receiver, a
 * bare client subscribed as the board is. In one process with the gate, the board could
 * read its command only once the gate had finished everything else it does for that scan
 * (its log, events, passage), which a real board never waits for.
 *
 * `node --import tsx bench/relay-board-process.ts <broker url> <device> <floor topic>`
 * prints `ready`, then one line per arrival: `cmd <t>` for a command at the board, `floor <t>`
 * for a floor message; `<t>` is process.hrtime.bigint() in ns, the system's monotonic clock,
 * which the bench process reads too.
 */
const [url, device, floorTopic] = process.argv.slice(2);
if (url === undefined || device === undefined || floorTopic === undefined)
  throw new Error("usage: relay-board-process.ts <broker url> <device> <floor topic>");

const board = new GenericRelayEmulator(device);
board.onCommand = () => process.stdout.write(`cmd ${process.hrtime.bigint()}\n`);
await board.start(url);

// The same client as the board's: its own session, MQTT 5, subscribed at QoS 1.
const floor = await connectAsync(url, { protocolVersion: 5 });
floor.on("message", () => process.stdout.write(`floor ${process.hrtime.bigint()}\n`));
await floor.subscribeAsync(floorTopic, { qos: 1 });
process.stdout.write("ready\n");

const stop = async () => {
  await floor.endAsync();
  await board.stop();
  process.exit(0);
};
process.stdin.on("end", () => void stop());
process.stdin.resume();
process.on("SIGTERM", () => void stop());

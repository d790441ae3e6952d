import { once } from "node:events";
import { createServer, type Server, type Socket } from "node:net";
import { Aedes } from "aedes";

/**
 * An MQTT broker inside the process (aedes) on a loopback port, so the demo and
 * `passgate sim campus` need no mosquitto. aedes speaks MQTT 3.1.1 only: gates that use
 * it set `mqtt.protocolVersion: 4`. `restart` keeps the port, as a real broker restart
 * would, so clients reconnect to the same URL (fault injection).
 */
export class EmbeddedBroker {
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;

  constructor(private readonly host = "127.0.0.1") {}

  /** Starts on `port` (0: a free one) and returns the broker's mqtt:// URL. */
  async start(port = this.boundPort): Promise<string> {
    const broker = await Aedes.createBroker();
    // As docs/mqtt.md asks of a site's mosquitto (`set_tcp_nodelay true`): an open command
    // sent right after another message must not wait behind Nagle for a delayed ACK.
    const server = createServer({ noDelay: true }, (socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
      broker.handle(socket);
    });
    server.listen(port, this.host);
    await once(server, "listening");
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("embedded broker: no TCP address");
    this.broker = broker;
    this.server = server;
    this.boundPort = address.port;
    return this.url;
  }

  get url(): string {
    return `mqtt://${this.host}:${this.boundPort}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Drops every client and stops listening; retained messages and sessions are lost, as with a restarted broker without persistence. */
  async stop(): Promise<void> {
    const { server, broker } = this;
    this.server = undefined;
    this.broker = undefined;
    if (server === undefined || broker === undefined) return;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  }

  async restart(downMs = 0): Promise<void> {
    await this.stop();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.start(this.boundPort);
  }
}

import { createServer, type Server, Socket } from "node:net";
import { freeLoopbackPort } from "./mosquitto.js";

/**
 * A TCP link on a loopback port to `targetPort` that a test can cut and restore: the network
 * between two buildings, for a broker bridge that must lose its peer while both brokers run.
 * `cut()` drops every connection and refuses new ones (the port is closed); `restore()`
 * listens on the same port again. Hand-written rather than socat so the test owns the cut
 * and knows when it is done.
 */
export class TcpLink {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<TcpLink> {
    const link = new TcpLink(await freeLoopbackPort(), targetPort);
    await link.restore();
    return link;
  }

  /** Whether the link carries traffic now. */
  get up(): boolean {
    return this.server !== undefined;
  }

  async restore(): Promise<void> {
    if (this.server !== undefined) return;
    const server = createServer((inbound) => {
      const outbound = new Socket();
      for (const s of [inbound, outbound]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        // Either side failing ends both, as a broken link would.
        s.on("error", () => {
          inbound.destroy();
          outbound.destroy();
        });
      }
      outbound.connect(this.targetPort, "127.0.0.1");
      inbound.pipe(outbound).pipe(inbound);
      inbound.on("close", () => outbound.destroy());
      outbound.on("close", () => inbound.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.server = server;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    const closed = new Promise((resolve) => server.close(resolve));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await closed;
  }
}

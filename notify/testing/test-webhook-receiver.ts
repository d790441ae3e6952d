import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";

/** One request the receiver took, with whether its signature held. */
export interface ReceivedHook {
  readonly body: string;
  readonly json: unknown;
  readonly signatureOk: boolean;
  readonly timestamp: string | undefined;
  readonly headers: IncomingMessage["headers"];
}

/**
 * A real HTTP receiver (node:http on a free loopback port) that checks each request's
 * `X-Passgate-Signature` as docs/notices.md tells a receiver to, keeps what it got and
 * answers `status` (200 unless a test sets another, e.g. 503 or a 302 redirect).
 */
export class TestWebhookReceiver {
  readonly hooks: ReceivedHook[] = [];
  status = 200;
  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(secret: Buffer): Promise<TestWebhookReceiver> {
    let receiver: TestWebhookReceiver | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const given = String(req.headers["x-passgate-signature"] ?? "");
        const expected = `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
        const signatureOk =
          given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        const stamp = req.headers["x-passgate-timestamp"];
        receiver?.hooks.push({
          body,
          json,
          signatureOk,
          timestamp: typeof stamp === "string" ? stamp : undefined,
          headers: req.headers,
        });
        const status = receiver?.status ?? 200;
        res.writeHead(
          status,
          status >= 300 && status < 400 ? { location: "http://127.0.0.1:1/elsewhere" } : {},
        );
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("no port");
    receiver = new TestWebhookReceiver(server, address.port);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

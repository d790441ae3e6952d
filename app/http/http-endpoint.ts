import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { parseListen } from "../../config/http-schema.js";
import { describeError } from "../../platform/log/describe-error.js";
import type { Logger } from "../../platform/log/logger.js";
import type { HealthReport } from "./health.js";
import type { GateStatus } from "./status-schema.js";

/** What the endpoint serves; the composition root wires it to the running gate. */
export interface EndpointHandlers {
  /** Prometheus text exposition. */
  metrics(): Promise<string>;
  health(): HealthReport;
  status(): GateStatus;
}

/** A slow or idle client is cut off after this long, ms: a scraper needs far less. */
const REQUEST_TIMEOUT_MS = 5_000;
const PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * The gate's loopback HTTP endpoint: `GET /metrics`, `/health`, `/status`
 * (docs/operations.md). Only GET and HEAD; request bodies are never read; anything else
 * is 404 (405 for another method on a known path). A port that cannot be bound is
 * logged as an error and the gate runs on without the endpoint: monitoring is never a
 * reason to keep a turnstile shut.
 */
export class HttpEndpoint {
  private server: Server | undefined;

  constructor(
    private readonly listen: string,
    private readonly handlers: EndpointHandlers,
    private readonly logger: Logger,
  ) {}

  /** Resolves once listening, or once the failure to listen was logged. */
  async start(): Promise<void> {
    const { host, port } = parseListen(this.listen);
    const server = createServer(
      { requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: REQUEST_TIMEOUT_MS },
      (req, res) => this.route(req, res),
    );
    server.keepAliveTimeout = REQUEST_TIMEOUT_MS;
    const listening = await new Promise<boolean>((resolve) => {
      server.once("error", (err) => {
        this.logger.error(
          { listen: this.listen, err: describeError(err) },
          "http endpoint cannot listen; the gate runs without metrics, health and status",
        );
        resolve(false);
      });
      server.listen(port, host, () => resolve(true));
    });
    if (!listening) return;
    server.on("error", (err) => this.logger.error({ err: describeError(err) }, "http endpoint error"));
    this.server = server;
    this.logger.info({ listen: this.listen }, "http endpoint listening");
  }

  /** The bound port (the configured one, or the OS's choice for port 0); undefined when not listening. */
  port(): number | undefined {
    const address = this.server?.address();
    return address !== null && typeof address === "object" ? address.port : undefined;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    // Paths only; a query string is ignored rather than refused (some scrapers add one).
    const path = (req.url ?? "/").split("?")[0];
    const known = path === "/metrics" || path === "/health" || path === "/status";
    if (!known) {
      send(res, req, 404, "application/json", '{"error":"not found"}\n');
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      send(res, req, 405, "application/json", '{"error":"method not allowed"}\n');
      return;
    }
    try {
      if (path === "/metrics") {
        this.handlers.metrics().then(
          (text) => send(res, req, 200, PROMETHEUS_TYPE, text),
          (err: unknown) => this.failed(res, req, err),
        );
        return;
      }
      if (path === "/health") {
        const report = this.handlers.health();
        const body = report.ok ? { status: "ok" } : { status: "failing", failing: report.failing };
        send(res, req, report.ok ? 200 : 503, "application/json", `${JSON.stringify(body)}\n`);
        return;
      }
      send(res, req, 200, "application/json", `${JSON.stringify(this.handlers.status())}\n`);
    } catch (err) {
      this.failed(res, req, err);
    }
  }

  private failed(res: ServerResponse, req: IncomingMessage, err: unknown): void {
    this.logger.error({ path: req.url, err: describeError(err) }, "http request failed");
    send(res, req, 500, "application/json", '{"error":"internal error"}\n');
  }
}

function send(res: ServerResponse, req: IncomingMessage, code: number, type: string, body: string): void {
  res.writeHead(code, {
    "Content-Type": type,
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
  });
  // The request body, if any, is never read: the response ends the exchange.
  res.end(req.method === "HEAD" ? undefined : body);
}

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What one request to a served registry carried, in the order they came. */
export interface ServedRequest {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly acceptEncoding: string | undefined;
}

/** A registry stand-in on loopback, answering with the test's own handler. */
export interface ServedRegistry {
  readonly url: string;
  readonly requests: ServedRequest[];
  /** Resolves when the server saw the client close the connection of a request, with ms since it began. */
  readonly closed: Promise<number>;
}

/**
 * Real HTTP servers on free loopback ports for the sync client's tests, each answering with
 * a handler the test writes (a trickle, a bomb, a redirect, a dropped connection). `close()`
 * ends every server and its open connections, so a test that left a body half sent does not
 * hold the next one up.
 */
export class TestHttpServers {
  private readonly servers: Server[] = [];

  async serve(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<ServedRegistry> {
    const requests: ServedRequest[] = [];
    let resolveClosed: (ms: number) => void = () => undefined;
    const closed = new Promise<number>((resolve) => {
      resolveClosed = resolve;
    });
    const server = createServer((req, res) => {
      const began = Date.now();
      requests.push({
        path: req.url ?? "",
        authorization: req.headers.authorization,
        acceptEncoding: req.headers["accept-encoding"],
      });
      res.on("close", () => resolveClosed(Date.now() - began));
      handle(req, res);
    });
    this.servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, closed };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.splice(0).map(
        (s) =>
          new Promise<void>((resolve) => {
            s.closeAllConnections();
            s.close(() => resolve());
          }),
      ),
    );
  }
}

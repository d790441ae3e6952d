import type { IncomingMessage, ServerResponse } from "node:http";
import { constants, createGzip } from "node:zlib";
import { headerLine, putLine, registryCredential } from "../../daemon/allowlist/testing/test-bodies.js";

/**
 * An HTTP handler that answers with a gzip bomb that never ends: a snapshot header for
 * `site`, then the same valid record over and over, compressed at level 9 (about 1,000 to
 * 1) as the socket drains, until the client hangs up. Every line is one the apply accepts,
 * so only a bound checked while the body streams can stop it.
 */
export function endlessGzipBomb(site: string): (req: IncomingMessage, res: ServerResponse) => void {
  const header = Buffer.from(`${headerLine({ site, to: 2, count: 1_000_000_000 })}\n`);
  const records = Buffer.from(`${putLine(registryCredential(77))}\n`.repeat(4096));
  return (_req, res) => {
    res.writeHead(200, { "content-type": "application/x-ndjson", "content-encoding": "gzip" });
    const gzip = createGzip({ level: constants.Z_BEST_COMPRESSION });
    gzip.pipe(res);
    res.on("close", () => gzip.destroy());
    gzip.write(header);
    const pump = () => {
      while (!res.destroyed && gzip.write(records));
      if (!res.destroyed) gzip.once("drain", pump);
    };
    pump();
  };
}

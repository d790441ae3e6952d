import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { MAX_TOKEN_CHARS } from "../daemon/verify/pg1-token.js";
import { FakeClock } from "../platform/testing/fake-clock.js";
import type { Scan, ScanRejection } from "./scan-source.js";
import { StreamScanSource } from "./stdin-scan-source.js";
import { describeScanSourceContract } from "./testing/scan-source-contract.js";

async function feed(chunks: (string | Buffer)[]): Promise<{ scans: string[]; rejected: ScanRejection[] }> {
  const input = new PassThrough();
  const source = new StreamScanSource("in", input, new FakeClock(5));
  const scans: Scan[] = [];
  const rejected: ScanRejection[] = [];
  await source.start({ scan: (s) => scans.push(s), rejected: (_r, why) => rejected.push(why) });
  for (const c of chunks) input.write(c);
  input.end();
  await new Promise((resolve) => setImmediate(resolve));
  await source.stop();
  expect(scans.every((s) => s.reader === "in" && s.at === 5)).toBe(true);
  return { scans: scans.map((s) => s.text), rejected };
}

describe("StreamScanSource", () => {
  it("strips only the terminator, keeping leading and trailing spaces", async () => {
    const { scans } = await feed([" PG1:A B \n", "PG1:X\r\n", "PG1:Y"]);
    expect(scans).toEqual([" PG1:A B ", "PG1:X", "PG1:Y"]);
  });

  it("joins a scan split across chunks", async () => {
    const { scans } = await feed(["PG1:AB", "CD\r", "\nPG1:Z\n"]);
    expect(scans).toEqual(["PG1:ABCD", "PG1:Z"]);
  });

  it("drops an oversized line whole, however long, and keeps going", async () => {
    const big = "A".repeat(100_000);
    const { scans, rejected } = await feed(["PG1:ok1\n", big, big, "\nPG1:ok2\n"]);
    expect(scans).toEqual(["PG1:ok1", "PG1:ok2"]);
    expect(rejected).toEqual(["too_long"]);
  });

  it("rejects control characters and invalid UTF-8, and skips empty lines", async () => {
    const { scans, rejected } = await feed([
      "PG1:\u001b[31mX\n",
      Buffer.from([0x50, 0x47, 0x31, 0x3a, 0xff, 0x0a]),
      "\n\nPG1:ok\n",
    ]);
    expect(scans).toEqual(["PG1:ok"]);
    expect(rejected).toEqual(["control_characters", "not_utf8"]);
  });
});

describeScanSourceContract(
  "StreamScanSource (stdin)",
  async () => {
    const input = new PassThrough();
    const write = async (bytes: Buffer) => {
      input.write(bytes);
    };
    return {
      source: new StreamScanSource("stdin", input, new FakeClock(5)),
      // The stream source holds a line of a PG1 token's 512 characters plus an optional CR.
      maxBytes: MAX_TOKEN_CHARS + 1,
      sendScan: (bytes) => write(Buffer.concat([bytes, Buffer.from("\n")])),
      sendRaw: write,
      close: async () => {
        input.end();
      },
    };
  },
  { hotPlug: false },
);

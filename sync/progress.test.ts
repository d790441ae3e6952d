import { describe, expect, it } from "vitest";
import { chunked, putLine, registryCredential, signedBody } from "../daemon/allowlist/testing/test-bodies.js";
import { type ProgressSink, TtyProgressBar, withProgress } from "./progress.js";

class RecordingSink implements ProgressSink {
  readonly events: string[] = [];
  start(total: number): void {
    this.events.push(`start ${total}`);
  }
  update(records: number): void {
    this.events.push(`update ${records}`);
  }
  finish(ok: boolean): void {
    this.events.push(`finish ${ok}`);
  }
}

async function drain(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of body) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

const records = Array.from({ length: 50 }, (_, i) => putLine(registryCredential(i + 1)));

describe("withProgress", () => {
  it("passes a snapshot through byte for byte and reports records against the header's count", async () => {
    const text = signedBody({ kind: "snapshot", to: 3 }, records);
    const sink = new RecordingSink();
    let t = 0;
    // A clock that moves 100 ms per chunk: updates at most every 200 ms.
    const out = await drain(withProgress(chunked(text, 97), sink, () => (t += 100)));
    expect(out.toString()).toBe(text);
    expect(sink.events[0]).toBe("start 50");
    expect(sink.events.at(-2)).toBe("update 50");
    expect(sink.events.at(-1)).toBe("finish true");
    const updates = sink.events.filter((e) => e.startsWith("update")).map((e) => Number(e.split(" ")[1]));
    expect(updates).toEqual([...updates].sort((a, b) => a - b));
  });

  it("shows nothing for a delta", async () => {
    const sink = new RecordingSink();
    await drain(withProgress(chunked(signedBody({ kind: "delta", from: 2, to: 3 }, records), 64), sink));
    expect(sink.events).toEqual([]);
  });

  it("reports a failed download", async () => {
    const sink = new RecordingSink();
    async function* cut() {
      yield* chunked(signedBody({ kind: "snapshot", to: 3 }, records).slice(0, 2000), 500);
      throw new Error("socket hang up");
    }
    await expect(drain(withProgress(cut(), sink))).rejects.toThrow("socket hang up");
    expect(sink.events.at(-1)).toBe("finish false");
  });
});

describe("TtyProgressBar", () => {
  it("draws count, percentage and rate on one line", () => {
    let out = "";
    const bar = new TtyProgressBar({ write: (s: string) => (out += s) }, 10);
    bar.start(1000);
    bar.update(500, 0, 2000);
    expect(out).toBe("\r[#####-----]  50%  500/1000  250/s ");
    bar.finish(true);
    expect(out.endsWith("\n")).toBe(true);
  });
});

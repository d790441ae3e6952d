import { expect, it } from "vitest";
import { FakeClock } from "../../platform/testing/fake-clock.js";
import { FakeScanSource } from "./fake-scan-source.js";
import { describeScanSourceContract } from "./scan-source-contract.js";

describeScanSourceContract("FakeScanSource", async () => {
  const source = new FakeScanSource("fake", new FakeClock(1), 512);
  return {
    source,
    maxBytes: 512,
    sendScan: async (bytes) => source.emit(Buffer.concat([bytes, Buffer.from("\n")])),
    sendRaw: async (bytes) => source.emit(bytes),
    unplug: async () => source.unplug(),
    replug: async () => source.replug(),
    close: async () => {},
  };
});

it("keeps state per instance: two fakes do not share input", async () => {
  const a = new FakeScanSource("a", new FakeClock(1));
  const b = new FakeScanSource("b", new FakeClock(1));
  const got: string[] = [];
  await a.start({ scan: (s) => got.push(`${s.reader}:${s.text}`), rejected: () => {} });
  await b.start({ scan: (s) => got.push(`${s.reader}:${s.text}`), rejected: () => {} });
  a.emit("PG1:A");
  b.emit("PG1:B\n");
  a.emit("\n");
  expect(got).toEqual(["b:PG1:B", "a:PG1:A"]);
});

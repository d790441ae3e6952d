import { describe, expect, it } from "vitest";
import { createLogger } from "../platform/log/logger.js";
import { FakeClock } from "../platform/testing/fake-clock.js";
import { posReports, typeReports } from "../sim/scanners/hid-reports.js";
import { type HidReaderOptions, HidScanSource, matchHidDevice } from "./hid-scan-source.js";
import { FakeHidSystem } from "./testing/fake-hid-system.js";
import { ScanRecorder, waitFor } from "./testing/scan-recorder.js";
import { describeScanSourceContract } from "./testing/scan-source-contract.js";

// There is no HID device in CI: the node-hid adapter runs here against a fake HidSystem
// (hid-system.ts's nodeHidSystem is exercised only on real hardware).
const silent = createLogger({ level: "silent" });
const INFO = {
  path: "/dev/hidraw7",
  vendorId: 0x0c2e,
  productId: 0x0b61,
  usagePage: 0x8c,
  serialNumber: "S1",
};

function hidSource(system: FakeHidSystem, options: Partial<HidReaderOptions> = {}): HidScanSource {
  return new HidScanSource(
    "hid-1",
    { device: { vendorId: 0x0c2e, productId: 0x0b61 }, mode: "pos", maxBytes: 512, watchMs: 50, ...options },
    { system, clock: new FakeClock(3), logger: silent },
  );
}

function device(plugged: boolean) {
  const system = new FakeHidSystem(INFO);
  if (plugged) system.plugIn();
  return {
    source: hidSource(system),
    maxBytes: 512,
    sendScan: (bytes: Buffer) => system.send(posReports(bytes)),
    sendRaw: (bytes: Buffer) => system.send(posReports(bytes, { last: false })),
    unplug: async () => system.unplug(),
    replug: async () => system.plugIn(),
    plugIn: async () => system.plugIn(),
    close: async () => {},
  };
}

describeScanSourceContract(
  "HidScanSource (HID POS) on a fake node-hid",
  async () => {
    const d = device(true);
    return d;
  },
  { startsWithoutDevice: async () => device(false) },
);

describe("HidScanSource keyboard-wedge mode", () => {
  it("delivers decoded text from boot keyboard reports", async () => {
    const system = new FakeHidSystem({ ...INFO, usagePage: 0x01 });
    system.plugIn();
    const source = hidSource(system, { mode: "keyboard", device: { path: "/dev/hidraw7" } });
    const rec = new ScanRecorder();
    await source.start(rec);
    await waitFor(() => rec.lastState === "connected", "connected");
    await system.send(typeReports(" PG1:AB "));
    await waitFor(() => rec.scans.length === 1, "a scan");
    await source.stop();
    expect(rec.texts).toEqual([" PG1:AB "]);
  });
});

describe("matchHidDevice", () => {
  const devices = [
    { path: "/dev/hidraw1", vendorId: 0x0c2e, productId: 0x0b61, usagePage: 0x01 },
    { path: "/dev/hidraw2", vendorId: 0x0c2e, productId: 0x0b61, usagePage: 0x8c },
    { path: "/dev/hidraw3", vendorId: 0x05e0, productId: 0x1200, serialNumber: "X" },
  ];
  it("prefers the POS interface in pos mode and the keyboard one in keyboard mode", () => {
    expect(matchHidDevice(devices, { vendorId: 0x0c2e }, "pos")).toBe("/dev/hidraw2");
    expect(matchHidDevice(devices, { vendorId: 0x0c2e, productId: 0x0b61 }, "keyboard")).toBe("/dev/hidraw1");
    expect(matchHidDevice(devices, { vendorId: 0x05e0, serialNumber: "Y" }, "keyboard")).toBeUndefined();
    expect(matchHidDevice(devices, { path: "/dev/hidraw3" }, "pos")).toBe("/dev/hidraw3");
    expect(matchHidDevice(devices, { path: "/dev/hidraw9" }, "pos")).toBeUndefined();
  });
});

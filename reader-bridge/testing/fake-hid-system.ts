import { EventEmitter } from "node:events";
import type { HidDeviceInfo, HidSystem, OpenHidDevice } from "../hid-system.js";

/** An open fake device: the test emits reports on it. */
export class FakeHidDevice extends EventEmitter implements OpenHidDevice {
  closed = false;
  async close(): Promise<void> {
    this.closed = true;
  }
}

/**
 * A HID system with one scanner that can be plugged in and out. Unplugging only removes
 * it from the device list and emits nothing, like a missed event: the adapter must notice
 * through its periodic listing. All state is per instance.
 */
export class FakeHidSystem implements HidSystem {
  private present = false;
  private open_: FakeHidDevice | undefined;

  constructor(readonly info: HidDeviceInfo) {}

  async devices(): Promise<HidDeviceInfo[]> {
    return this.present ? [this.info, { path: "/dev/hidraw-other", vendorId: 1, productId: 2 }] : [];
  }

  async open(path: string): Promise<OpenHidDevice> {
    if (!this.present || path !== this.info.path) throw new Error(`cannot open ${path}`);
    this.open_ = new FakeHidDevice();
    return this.open_;
  }

  plugIn(): void {
    this.present = true;
  }

  unplug(): void {
    this.present = false;
    this.open_ = undefined;
  }

  /**
   * Delivers reports to the last opened device, one event each as hidraw does; also after
   * the adapter closed it, to prove it no longer listens.
   */
  async send(reports: Buffer[]): Promise<void> {
    const device = this.open_;
    if (device === undefined) throw new Error("no device was opened");
    for (const r of reports) device.emit("data", r);
  }
}

/** A HID device as the OS lists it (node-hid's Device, the fields we use). */
export interface HidDeviceInfo {
  readonly path?: string | undefined;
  readonly vendorId: number;
  readonly productId: number;
  readonly serialNumber?: string | undefined;
  readonly manufacturer?: string | undefined;
  readonly product?: string | undefined;
  readonly usagePage?: number | undefined;
  readonly usage?: number | undefined;
  readonly interface?: number | undefined;
}

/** What the HID adapter uses of an open device. */
export interface OpenHidDevice {
  on(event: "data", listener: (report: Buffer) => void): void;
  on(event: "error", listener: (err: Error) => void): void;
  removeAllListeners(): void;
  close(): Promise<void>;
}

/** The operating system's HID devices, behind a port: CI has no HID device, tests use a fake. */
export interface HidSystem {
  devices(): Promise<HidDeviceInfo[]>;
  /** Opens exclusively where the OS supports it (macOS; on Linux hidraw is always shared). */
  open(path: string): Promise<OpenHidDevice>;
}

/**
 * The real one, on node-hid (hidraw on Linux). Created by the composition root only. The
 * native module is loaded on first use, so a gate without HID readers never depends on it.
 */
export function nodeHidSystem(): HidSystem {
  return {
    devices: async () => (await import("node-hid")).devicesAsync(),
    open: async (path): Promise<OpenHidDevice> =>
      (await import("node-hid")).HIDAsync.open(path, { nonExclusive: false }),
  };
}

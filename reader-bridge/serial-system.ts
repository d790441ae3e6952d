import { statSync } from "node:fs";

/** What the serial adapter uses of an open port (a subset of serialport's SerialPort). */
export interface OpenSerialPort {
  on(event: "data", listener: (chunk: Buffer) => void): void;
  on(event: "close" | "error", listener: (err?: Error | null) => void): void;
  removeAllListeners(): void;
  write(data: Buffer, callback: (err: Error | null | undefined) => void): void;
  close(callback: (err: Error | null) => void): void;
}

/** A port as the OS lists it; USB ids are lower-case hex as serialport reports them. */
export interface SerialPortInfo {
  readonly path: string;
  readonly vendorId?: string | undefined;
  readonly productId?: string | undefined;
  readonly serialNumber?: string | undefined;
  readonly manufacturer?: string | undefined;
}

/** The operating system's serial ports, behind a port so tests can substitute a fake. */
export interface SerialSystem {
  open(path: string, baudRate: number): Promise<OpenSerialPort>;
  list(): Promise<SerialPortInfo[]>;
  /**
   * An identity of the device node `path` now points to (following links), or undefined
   * when there is none. A change means the device went away, even if no `close` came.
   */
  identify(path: string): string | undefined;
}

/**
 * The real one, on serialport. Created by the composition root only. The native module is
 * loaded on first use, so a gate without serial readers never depends on it loading.
 */
export function nodeSerialSystem(): SerialSystem {
  return {
    open: async (path, baudRate) => {
      const { SerialPort } = await import("serialport");
      return new Promise((resolve, reject) => {
        const port = new SerialPort({ path, baudRate, autoOpen: false });
        port.open((err) => (err ? reject(err) : resolve(port)));
      });
    },
    list: async () => {
      const { SerialPort } = await import("serialport");
      return (await SerialPort.list()).map((p) => ({ ...p }));
    },
    identify: (path) => {
      try {
        const st = statSync(path);
        return `${st.dev}:${st.ino}:${st.rdev}`;
      } catch {
        return undefined;
      }
    },
  };
}

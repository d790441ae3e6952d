import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { DestinationStream } from "pino";

/**
 * The gates' log file for the demo, opened on the first line rather than up front:
 * the campus empties its folder when it starts, which would unlink a file opened
 * before. Lines are written synchronously, so nothing is lost when the demo exits.
 */
export class GatesLog implements DestinationStream {
  private fd: number | undefined;

  constructor(readonly path: string) {}

  write(line: string): void {
    if (this.fd === undefined) {
      mkdirSync(dirname(this.path), { recursive: true });
      this.fd = openSync(this.path, "a");
    }
    writeSync(this.fd, line);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

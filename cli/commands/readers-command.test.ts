import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { listReaders, maskScan } from "../../reader-bridge/reader-listing.js";
import { waitFor } from "../../reader-bridge/testing/scan-recorder.js";
import { SocatPty } from "../../sim/scanners/socat-pty.js";
import { runCliInProcess } from "../../test/cli-harness.js";

const dir = mkdtempSync(join(tmpdir(), "passgate-readers-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("passgate readers test", () => {
  it("shows live scans from a serial reader masked, with rejections, deciding nothing", async () => {
    const pty = new SocatPty(join(dir, "reader"), join(dir, "scanner"));
    await pty.plugIn();
    const config = join(dir, "passgate.yaml");
    writeFileSync(
      config,
      [
        "site: s",
        "gate: g",
        "timezone: UTC",
        `storage: { path: ${join(dir, "gate.db")} }`,
        "readers:",
        "  - id: in",
        "    direction: in",
        `    source: { type: serial, path: ${pty.readerPath}, terminator: lf }`,
        "",
      ].join("\n"),
    );
    let out = "";
    const run = runCliInProcess(["-c", config, "readers", "test", "in", "--count", "2"], {
      onStdout: (text) => {
        out += text;
      },
    });
    try {
      await waitFor(() => out.includes("state: connected"), "the reader to connect", 20_000);
      await pty.write(Buffer.from("PG1:SECRETTOKEN1\nPG1:\u0000X\nPG1:SECRETTOKEN2\n"));
      expect((await run).code).toBe(0);
    } finally {
      // Ctrl+C, as a person stops it: ends the command if the test failed before it did.
      process.emit("SIGINT");
      await run;
      await pty.unplug();
    }
    expect(out).toContain('scan "PG1:…" (16 chars)');
    expect(out).toContain("rejected: control_characters");
    expect(out).toContain("2 scan(s); rejected: control_characters 1");
    expect(out).not.toContain("SECRET");
  });

  it("names the configured readers when the id is unknown", async () => {
    const config = join(dir, "other.yaml");
    writeFileSync(
      config,
      "site: s\ngate: g\ntimezone: UTC\nreaders:\n  - { id: a, direction: in, source: { type: stdin } }\n",
    );
    const result = await runCliInProcess(["-c", config, "readers", "test", "nope"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no reader "nope" in the config (readers: a)');
  });
});

describe("readers list output", () => {
  it("gives USB ids and a pasteable snippet for serial ports and HID devices", () => {
    const listed = listReaders(
      [
        {
          path: "/dev/ttyACM0",
          vendorId: "0C2E",
          productId: "0B61",
          serialNumber: "17A1",
          manufacturer: "Honeywell",
        },
        { path: "/dev/ttyS0" },
      ],
      [
        {
          path: "/dev/hidraw2",
          vendorId: 0x0c2e,
          productId: 0x0b61,
          usagePage: 0x8c,
          usage: 0x02,
          product: "Xenon",
        },
        { path: "/dev/hidraw3", vendorId: 0x05e0, productId: 0x1200, usagePage: 0x01, usage: 0x06 },
      ],
    );
    // The on-board port goes last, marked: every PC lists one, a scanner is rarely on it.
    expect(listed.map((r) => [r.kind, r.path, r.vendorId, r.mode, r.onBoard])).toEqual([
      ["serial", "/dev/ttyACM0", "0c2e", undefined, undefined],
      ["hid", "/dev/hidraw2", "0c2e", "pos", undefined],
      ["hid", "/dev/hidraw3", "05e0", "keyboard", undefined],
      ["serial", "/dev/ttyS0", undefined, undefined, true],
    ]);
    expect(listed[0]?.snippet).toContain(
      'usb: { vendorId: "0c2e", productId: "0b61", serialNumber: "17A1" }',
    );
    expect(listed[3]?.snippet).toContain("path: /dev/ttyS0");
    expect(listed[2]?.snippet).toContain("mode: keyboard");
    expect(listed[0]?.snippet).toContain("- id: reader-in\n");
  });

  it("offers in its snippets a reader id the config does not use yet", () => {
    const ports = [{ path: "/dev/ttyACM0", vendorId: "0c2e", productId: "0b61" }];
    const [first] = listReaders(ports, [], ["reader-in"]);
    expect(first?.snippet).toContain("- id: reader-in-2\n");
    const [again] = listReaders(ports, [], ["reader-in", "reader-in-2", "exit"]);
    expect(again?.snippet).toContain("- id: reader-in-3\n");
  });

  it("runs against this machine's devices and prints JSON", async () => {
    const result = await runCliInProcess(["readers", "list", "--json"]);
    expect(result.code).toBe(0);
    expect(Array.isArray(JSON.parse(result.stdout))).toBe(true);
  });

  it("masks scans to their first four characters and length", () => {
    expect(maskScan("PG1:ABCDEF")).toBe('"PG1:…" (10 chars)');
    expect(maskScan("ab")).toBe('"ab…" (2 chars)');
  });
});

import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sharedSpec } from "../../test/run-cli.js";
import { type AllowlistHeader, type AllowlistRecord, signedAllowlist } from "./signed-allowlist.js";

/** RFC 8032 test 2's secret key: the registry key `test-2026` of the spec's example. */
const test2026 = createPrivateKey({
  key: Buffer.from(
    "302e020100300506032b6570042204204ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    "hex",
  ),
  format: "der",
  type: "pkcs8",
});

describe("signedAllowlist", () => {
  it("reproduces the spec's signed example byte for byte", () => {
    const example = readFileSync(join(sharedSpec, "allowlist-example.ndjson"), "utf8");
    const lines = example
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const { type: _type, format: _format, ...header } = lines[0] as Record<string, unknown>;
    const body = signedAllowlist(
      header as unknown as AllowlistHeader,
      lines.slice(1, -1) as AllowlistRecord[],
      {
        keyId: "test-2026",
        privateKey: test2026,
      },
    );
    expect(body).toBe(example);
  });
});

import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "../../daemon/log/logger.js";
import { FakeClock } from "../../daemon/ports/clock.js";
import { runCampusDemo } from "./campus-demo.js";

describe("the campus demo", () => {
  it("shows each kind of decision and ends with a verified journal", async () => {
    const out = new PassThrough();
    let printed = "";
    out.on("data", (c: Buffer) => {
      printed += c.toString();
    });
    const summary = await runCampusDemo({
      dir: join(mkdtempSync(join(tmpdir(), "passgate-demo-")), "demo"),
      clock: new FakeClock(Date.parse("2026-11-24T09:00:10Z")),
      logger: createLogger({ level: "silent" }),
      out,
    });
    expect(summary.rows.map((r) => `${r.result}:${r.reason}`)).toEqual([
      "granted:ok",
      "granted:ok",
      "denied:replayed",
      "granted:ok",
      "granted:ok",
      "denied:credential_expired",
      "denied:suspended",
      "denied:revoked",
      "denied:not_allowed_here",
      "denied:expired",
      "denied:bad_signature",
      "denied:unknown_credential",
      "denied:malformed",
      "granted:ok",
      "denied:revoked",
    ]);
    expect(summary.rows[13]?.flags).toEqual(["anti_passback_soft"]);
    expect(summary).toMatchObject({ journalOk: true, journalEntries: 15, eventsUploaded: 15 });
    expect(printed).toContain("hash chain verified");
  });
});

import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

/** A logger at `debug` whose lines are parsed as they are written. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line !== "") lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: "debug", destination }), lines };
}

const TOKEN = "PG1.eyJjIjoiMTAwMDEifQ.c2lnbmF0dXJl";

describe("createLogger", () => {
  it("censors a token, scan text, secret, password or authorization at the top of a line", () => {
    const { logger, lines } = capture();
    logger.info(
      {
        token: TOKEN,
        scan: TOKEN,
        text: TOKEN,
        secret: "JBSWY3DP",
        password: "hunter2",
        authorization: "Bearer x",
      },
      "m",
    );
    expect(lines[0]).toMatchObject({
      token: "[redacted]",
      scan: "[redacted]",
      text: "[redacted]",
      secret: "[redacted]",
      password: "[redacted]",
      authorization: "[redacted]",
      msg: "m",
    });
  });

  it("censors them one level down, and a TOTP secret and an authorization header two levels down", () => {
    const { logger, lines } = capture();
    logger.warn({
      reader: { id: "in", text: TOKEN },
      upload: { password: "hunter2", url: "https://registry.example" },
      credential: { id: "c-10001", totp: { secret: "JBSWY3DP", digits: 8 } },
      request: { method: "GET", headers: { authorization: "Bearer x", accept: "*/*" } },
      scans: [{ token: TOKEN }],
    });
    expect(lines[0]).toMatchObject({
      reader: { id: "in", text: "[redacted]" },
      upload: { password: "[redacted]", url: "https://registry.example" },
      credential: { id: "c-10001", totp: { secret: "[redacted]", digits: 8 } },
      request: { method: "GET", headers: { authorization: "[redacted]", accept: "*/*" } },
    });
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
    expect(JSON.stringify(lines)).not.toContain("hunter2");
    expect(JSON.stringify(lines)).not.toContain("JBSWY3DP");
  });

  it("censors a child logger's bindings too", () => {
    const { logger, lines } = capture();
    const child = logger.child({ component: "bridge", token: TOKEN });
    child.info({ seq: 7 }, "scan sent");
    child.child({ reader: { id: "in", text: TOKEN } }).info("played");
    expect(lines[0]).toMatchObject({ component: "bridge", token: "[redacted]", seq: 7, msg: "scan sent" });
    expect(lines[1]).toMatchObject({
      component: "bridge",
      reader: { id: "in", text: "[redacted]" },
      msg: "played",
    });
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });

  it("keeps an error's type, message and stack when it censors a field of it", () => {
    const { logger, lines } = capture();
    logger.error({ err: Object.assign(new TypeError("boom"), { token: TOKEN, code: "E_PG" }) }, "failed");
    expect(lines[0]?.err).toMatchObject({
      type: "TypeError",
      message: "boom",
      token: "[redacted]",
      code: "E_PG",
    });
    expect(String((lines[0]?.err as { stack?: string } | undefined)?.stack)).toContain("boom");
  });

  it("leaves what the caller passed as it was, and other fields as they are", () => {
    const { logger, lines } = capture();
    const fields = {
      credential: "c-10001",
      reader: { id: "in", text: TOKEN },
      result: "granted",
      micros: 180,
    };
    logger.info(fields, "granted ok");
    expect(fields.reader.text).toBe(TOKEN);
    expect(lines[0]).toMatchObject({
      credential: "c-10001",
      result: "granted",
      micros: 180,
      reader: { id: "in" },
    });
  });
});

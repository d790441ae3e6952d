import { afterAll, describe, expect, it } from "vitest";
import { TestMosquitto } from "../daemon/mqtt/testing/mosquitto.js";
import { DemoDirs, demoDecisions } from "./demo-output.js";
import { runCli } from "./run-cli.js";

const dirs = new DemoDirs();
afterAll(() => dirs.removeAll());

describe("passgate demo --broker", () => {
  it("runs the campus through a real mosquitto", async () => {
    const broker = await TestMosquitto.start();
    try {
      const { code, stdout, stderr } = runCli([
        "demo",
        "--duration",
        "3",
        "--rate",
        "120",
        "--dir",
        dirs.make(),
        "--broker",
        broker.url,
      ]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(stdout.split("\n")[0]).toContain(`broker ${broker.url},`);
      expect(demoDecisions(stdout).length).toBeGreaterThan(0);
      expect(stdout).toMatch(/false accepts 0 /);
    } finally {
      await broker.close();
    }
  }, 45_000);
});

import { afterAll, afterEach, beforeAll } from "vitest";
import { TestMosquitto } from "../../daemon/mqtt/testing/mosquitto.js";

/**
 * One real mosquitto for a test file's gates: started before the file's first test, closed
 * after its last. Call it at the top of the file; `url` and `mosquitto` are there once the
 * tests run.
 */
export function brokerPerFile(): { readonly url: string; readonly mosquitto: TestMosquitto } {
  let mosquitto: TestMosquitto | undefined;
  beforeAll(async () => {
    mosquitto = await TestMosquitto.start();
  });
  afterAll(async () => {
    await mosquitto?.close();
  });
  const started = (): TestMosquitto => {
    if (mosquitto === undefined) throw new Error("the file's broker is there only while its tests run");
    return mosquitto;
  };
  return {
    get url() {
      return started().url;
    },
    get mosquitto() {
      return started();
    },
  };
}

/**
 * What a test starts (gates, boards, watching clients) registers its stop here; after each
 * test they run last first, so a gate stops before the board it drives and the broker.
 */
export function cleanupsPerTest(): (() => Promise<void>)[] {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return cleanups;
}

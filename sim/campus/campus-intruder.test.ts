import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { CampusEvent } from "./campus-events.js";
import { CampusIntruder } from "./campus-intruder.js";

/** An intruder at gate-2 (the gate after the desk's) whose mode reads `modes` in turn. */
function intruderAt(modes: (string | undefined)[]) {
  const events: CampusEvent[] = [];
  const sent: string[] = [];
  let reads = 0;
  const intruder = new CampusIntruder({
    client: { send: (topic) => sent.push(topic) > 0, onResponse: () => undefined },
    gates: [
      { id: "gate-1", mode: () => "normal" },
      { id: "gate-2", mode: () => modes[Math.min(reads++, modes.length - 1)] },
    ],
    now: () => 0,
    emit: (e) => events.push(e),
  });
  return { intruder, events, sent };
}

describe("CampusIntruder", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const visit = async (intruder: CampusIntruder) => {
    const done = intruder.visit(0);
    await vi.advanceTimersByTimeAsync(1_000);
    await done;
  };

  it("counts a gate put into free passage by its requests as acted on", async () => {
    const { intruder, sent } = intruderAt(["normal", "free"]);
    await visit(intruder);
    expect(sent).toHaveLength(3);
    expect(intruder).toMatchObject({ requests: 3, actedOn: 1 });
  });

  it("does not count a gate that kept its mode", async () => {
    const { intruder, events } = intruderAt(["normal", "normal"]);
    await visit(intruder);
    expect(intruder.actedOn).toBe(0);
    expect(events.at(-1)).toMatchObject({ actor: "intruder", ok: true });
  });

  it.each([
    ["went offline", ["normal", undefined]],
    ["came back", [undefined, "normal"]],
  ])("does not judge a gate process that %s meanwhile: it has no mode to compare", async (_, modes) => {
    const { intruder, events } = intruderAt(modes);
    await visit(intruder);
    expect(intruder.actedOn).toBe(0);
    expect(events.at(-1)).toMatchObject({ ok: true, outcome: expect.stringContaining("not judged") });
  });
});

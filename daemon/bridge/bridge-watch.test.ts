import { describe, expect, it } from "vitest";
import { Roster } from "../trust/roster.js";
import type { RosterMember } from "../trust/roster-member.js";
import { BridgeWatch } from "./bridge-watch.js";

const KEY = "7dI6M08jhe5_awh-IBePK-uLDnjvwglQZcHEhW8P0Aw";
const bridge = (name: string, gate = "main-1", status: "active" | "revoked" = "active"): RosterMember => ({
  id: `bridge:${name}`,
  kind: "bridge",
  gate,
  readers: ["in"],
  publicKey: KEY,
  status,
});

describe("BridgeWatch", () => {
  it("shows paired and unpaired bridges with what they report, and alarms when a paired one goes offline", () => {
    const roster = new Roster([
      bridge("lane-1"),
      bridge("east", "east-1"),
      bridge("old", "main-1", "revoked"),
    ]);
    const offline: string[] = [];
    const watch = new BridgeWatch(
      "main-1",
      () => roster,
      (id) => offline.push(id),
    );
    expect(watch.views()).toMatchObject([
      { id: "bridge:lane-1", paired: true, status: "unknown", readers: ["in"] },
    ]);

    watch.heard("lane-1", "status", Buffer.from("online"), 1);
    watch.heard(
      "lane-1",
      "state",
      Buffer.from(JSON.stringify({ lastScanAt: 5, scans: { sent: 3 }, version: "0.1.0" })),
      2,
    );
    watch.heard("stray", "status", Buffer.from("online"), 3);
    watch.heard("old", "status", Buffer.from("online"), 3);
    expect(watch.views()).toMatchObject([
      {
        id: "bridge:lane-1",
        paired: true,
        status: "online",
        lastScanAt: 5,
        scans: { sent: 3 },
        version: "0.1.0",
      },
      { id: "bridge:old", paired: false, status: "online" },
      { id: "bridge:stray", paired: false, status: "online" },
    ]);

    watch.heard("stray", "status", Buffer.from("offline"), 4);
    watch.heard("old", "status", Buffer.from("offline"), 4);
    expect(offline).toEqual([]);
    watch.heard("lane-1", "status", Buffer.from("offline"), 5);
    watch.heard("lane-1", "status", Buffer.from("offline"), 6);
    expect(offline).toEqual(["bridge:lane-1"]);
  });

  it("ignores bad names, payloads and kinds, and remembers a bounded number of strangers", () => {
    const watch = new BridgeWatch(
      "main-1",
      () => new Roster([]),
      () => {},
    );
    watch.heard("a/b", "status", Buffer.from("online"), 1);
    watch.heard("x", "status", Buffer.from("maybe"), 1);
    watch.heard("x", "state", Buffer.from("{not json"), 1);
    watch.heard("x", "other", Buffer.from("online"), 1);
    watch.heard("x", "status", Buffer.alloc(5000, 0x41), 1);
    expect(watch.views()).toEqual([]);
    for (let i = 0; i < 200; i++) watch.heard(`s${i}`, "status", Buffer.from("online"), i);
    expect(watch.views()).toHaveLength(64);
  });
});

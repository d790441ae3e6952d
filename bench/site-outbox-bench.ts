import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openGateDatabase } from "../app/gate-database.js";
import { Journal } from "../daemon/journal/journal.js";
import { SiteOutbox, type SiteRecord } from "../daemon/site/site-outbox.js";
import { PresenceStore } from "../daemon/state/presence-store.js";
import { ReplayGuard } from "../daemon/state/replay-guard.js";
import { type BenchResult, percentile } from "./bench-result.js";

const BASE_MS = 1_795_510_800_000;

/**
 * Where the site outbox's row is written: the grant's own commit as it ships (the journal
 * entry, the replay pair and the passage in one transaction) is the floor; the outbox row's
 * commit of its own right after it (and the acknowledgement's update) is what the gate adds
 * per shared record; `in_tx_*` is the grant's commit with the outbox row inside it, the
 * alternative that would put the row on the decision path. The three are interleaved over
 * `n` grants each, on one WAL gate database, so the machine's noise falls on all alike.
 */
export function benchSiteOutbox(n: number): BenchResult {
  const runDir = join(tmpdir(), `passgate-bench-${process.pid}-site-outbox`);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const db = openGateDatabase({ path: join(runDir, "gate.db"), synchronous: "normal" }, "write");
  try {
    const journal = Journal.open(db);
    const replay = new ReplayGuard(db);
    const presence = new PresenceStore(db);
    const outbox = new SiteOutbox(db);
    let seq = 0;
    const pairOf = (step: number, id: string): SiteRecord => ({
      kind: "replay",
      item: { gate: "bench-1", credential: id, step, expiresAt: BASE_MS + 90_000 },
    });
    const grant = (withRow: boolean): { step: number; id: string } => {
      seq++;
      const step = 59_850_360 + seq;
      const id = String(seq % 5000);
      db.transaction(() => {
        replay.accept(id, step, BASE_MS + 90_000);
        presence.record(`p-${id}`, "campus", "in", BASE_MS + seq);
        journal.append({
          kind: "decision",
          at: BASE_MS + seq,
          gate: "bench-1",
          reader: "in",
          direction: "in",
          credential: id,
          person: `p-${id}`,
          step,
          result: "granted",
          reason: "ok",
          data: { rule: "staff" },
        });
        if (withRow) outbox.add(pairOf(step, id), BASE_MS + seq, BASE_MS + 90_000);
      })();
      return { step, id };
    };
    const floor: number[] = [];
    const after: number[] = [];
    const inTx: number[] = [];
    for (let i = 0; i < 2 * n; i++) {
      let t0 = performance.now();
      if (i % 2 === 0) {
        const { step, id } = grant(false);
        floor.push((performance.now() - t0) * 1000);
        t0 = performance.now();
        outbox.acked(outbox.add(pairOf(step, id), BASE_MS + seq, BASE_MS + 90_000));
        after.push((performance.now() - t0) * 1000);
      } else {
        grant(true);
        inTx.push((performance.now() - t0) * 1000);
      }
      // As the gate prunes once a minute: the table holds minutes of pairs, not the run's.
      if (i % 2000 === 0) outbox.prune(BASE_MS + 90_001);
    }
    const floorP50 = percentile(floor, 0.5);
    const floorP99 = percentile(floor, 0.99);
    return {
      name: "site_outbox_commit",
      n,
      p50_us: percentile(after, 0.5),
      p99_us: percentile(after, 0.99),
      floor_p50_us: floorP50,
      floor_p99_us: floorP99,
      ratio: percentile(after, 0.99) / floorP99,
      in_tx_p50_us: percentile(inTx, 0.5),
      in_tx_p99_us: percentile(inTx, 0.99),
      in_tx_added_p50_us: Math.round((percentile(inTx, 0.5) - floorP50) * 100) / 100,
      target: "in_tx_added_p50_us ≈ 0 would put the row in the grant's commit; otherwise after it",
    };
  } finally {
    db.close();
    rmSync(runDir, { recursive: true, force: true });
  }
}

import { JOURNAL_KEEPS_FOR_REPLAY_MS } from "../daemon/gate/replay-rebuild.js";
import type { Journal } from "../daemon/journal/journal.js";
import type { EventPost, RegistryClient } from "./registry-client.js";
import type { SyncStateStore } from "./sync-state.js";
import { toUploadEvents } from "./upload-event.js";

export interface UploadRun {
  /** Events the registry acknowledged in this run. */
  readonly sent: number;
  /** Set when the run stopped on a failure; the unacknowledged batch stays in the backlog. */
  readonly failure?: Exclude<EventPost, { kind: "accepted" }>;
}

/**
 * Sends the journal's events to the registry in batches, oldest first. The cursor
 * (`sync_state.upload_seq`) moves only after the registry's 200, and only over the batch
 * it acknowledged, so a crash or timeout between sending and the ack resends the batch:
 * the registry drops the ids it has seen (registry-sync.md). Nothing is lost or reordered.
 */
export class EventUploader {
  constructor(
    private readonly journal: Journal,
    private readonly state: SyncStateStore,
    private readonly client: RegistryClient,
    private readonly options: {
      readonly batch: number;
      readonly now: () => number;
      /** Acknowledged entries older than this (ms) are pruned from the journal; absent: kept. */
      readonly keepUploaded?: number;
    },
  ) {}

  /** Journal entries after the acknowledged seq: what a crash now would resend. */
  backlog(): number {
    return backlogSize(this.journal, this.state);
  }

  /** Uploads until the backlog is empty, a request fails, or `signal` aborts. */
  async uploadPending(signal?: AbortSignal): Promise<UploadRun> {
    let sent = 0;
    for (;;) {
      if (signal?.aborted === true) return { sent };
      const entries = this.journal.since(this.state.get().uploadSeq, this.options.batch);
      const last = entries.at(-1);
      if (last === undefined) {
        this.pruneUploaded();
        return { sent };
      }
      const events = toUploadEvents(entries);
      if (events.length === 0) {
        // Nothing here for the registry: skipped without counting as an upload it acknowledged.
        this.state.passOver(last.seq);
        continue;
      }
      const answer = await this.client.postEvents(events, signal);
      if (answer.kind !== "accepted") {
        this.state.recordUploadError(answer.message);
        return { sent, failure: answer };
      }
      sent += events.length;
      this.state.ackUpload(last.seq, this.options.now());
    }
  }

  /**
   * Keeps the journal bounded: entries the registry acknowledged and older than
   * `keepUploaded` go, a batch at a time (the chain's anchor keeps the rest verifiable).
   * Entries not yet acknowledged are never pruned, however old, nor those of the last day.
   */
  private pruneUploaded(): void {
    const keep = this.options.keepUploaded;
    if (keep === undefined) return;
    // The gate rebuilds its replay guard from the last day's grants: they stay, whatever `keep` says.
    this.journal.prune(
      this.state.get().uploadSeq,
      this.options.now() - Math.max(keep, JOURNAL_KEEPS_FOR_REPLAY_MS),
    );
  }
}

/** Entries in the journal after the acknowledged seq (0 when the journal is empty). */
export function backlogSize(journal: Journal, state: SyncStateStore): number {
  const head = journal.head()?.seq ?? 0;
  return Math.max(0, head - state.get().uploadSeq);
}

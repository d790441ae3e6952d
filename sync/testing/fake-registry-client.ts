import type {
  AllowlistFetch,
  EventPost,
  RegistryClient,
  RosterFetch,
  UploadEvent,
} from "../registry-client.js";

/** An answer the fake gives: a body as text (served in chunks), or any other outcome as is. */
export type FakeAllowlistAnswer =
  | { readonly kind: "body"; readonly text: string }
  | Exclude<AllowlistFetch, { kind: "body" }>;

/**
 * A registry in memory for tests of code that uses the port: answers are queued per
 * request; with none queued, the allowlist answers 304 and events are accepted. It records
 * what it was asked. State is per instance.
 */
export class FakeRegistryClient implements RegistryClient {
  readonly allowlistAnswers: FakeAllowlistAnswer[] = [];
  readonly eventAnswers: EventPost[] = [];
  /** `since` of each allowlist request. */
  readonly fetched: (number | null)[] = [];
  /** Each events batch as posted. */
  readonly posted: UploadEvent[][] = [];
  /** Roster answers, in order; with none queued the registry keeps no roster (`absent`). */
  readonly rosterAnswers: RosterFetch[] = [];
  /** `since` of each roster request. */
  readonly rosterFetched: (number | null)[] = [];

  async fetchAllowlist(since: number | null, signal?: AbortSignal): Promise<AllowlistFetch> {
    this.fetched.push(since);
    if (signal?.aborted === true) return { kind: "retry", status: null, message: "aborted" };
    const answer = this.allowlistAnswers.shift() ?? { kind: "not_modified" };
    if (answer.kind !== "body") return answer;
    const bytes = Buffer.from(answer.text);
    return { kind: "body", body: chunks(bytes, 1024), bytes: bytes.length };
  }

  async fetchRoster(since: number | null, signal?: AbortSignal): Promise<RosterFetch> {
    this.rosterFetched.push(since);
    if (signal?.aborted === true) return { kind: "retry", status: null, message: "aborted" };
    return this.rosterAnswers.shift() ?? { kind: "absent" };
  }

  async postEvents(events: readonly UploadEvent[], signal?: AbortSignal): Promise<EventPost> {
    if (signal?.aborted === true) return { kind: "retry", status: null, message: "aborted" };
    this.posted.push([...events]);
    return this.eventAnswers.shift() ?? { kind: "accepted", accepted: events.length };
  }
}

async function* chunks(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

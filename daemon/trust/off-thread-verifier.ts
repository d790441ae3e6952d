import { Worker } from "node:worker_threads";

/**
 * What became of one signature handed to a verifier: it holds (`ok`) or not (`bad`); it was
 * not looked at because too many wait already (`overloaded`); the thread that had it died
 * (`lost`); the verifier was stopped (`stopped`). Only `ok` lets a message on.
 */
export type VerifyAnswer = "ok" | "bad" | "overloaded" | "lost" | "stopped";

/** Checks Ed25519 signatures away from the caller's thread. */
export interface SignatureVerifier {
  /**
   * Whether `signature` (64 bytes) is the signature of `signed` by the Ed25519 key
   * `publicKey` (base64url of the 32 raw bytes, as the roster holds it).
   */
  verify(signed: Buffer, signature: Buffer, publicKey: string): Promise<VerifyAnswer>;
}

/** Signatures in flight at most, by default: at 200 records a second, five seconds of them. */
export const DEFAULT_MAX_IN_FLIGHT = 1_000;
/** A thread that dies within this long of its start is restarted after it, not at once. */
const RESTART_BACKOFF_MS = 1_000;

/**
 * The verifying thread's code: plain CommonJS evaluated in the worker, so it runs the same
 * from the TypeScript sources and from dist/ (as the WAL checkpointer's). Keys are imported
 * once per public key (a roster holds few); a key that does not import verifies nothing.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createPublicKey, verify } = require("node:crypto");
const keys = new Map();
const keyOf = (x) => {
  let key = keys.get(x);
  if (key === undefined) {
    if (keys.size >= 4096) keys.clear();
    key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
    keys.set(x, key);
  }
  return key;
};
parentPort.on("message", (batch) => {
  const answers = [];
  for (const m of batch) {
    let ok = false;
    try { ok = verify(null, m.signed, keyOf(m.key), m.signature) === true; } catch { ok = false; }
    answers.push(m.id, ok);
  }
  parentPort.postMessage(answers);
});
`;

interface Job {
  readonly id: number;
  readonly signed: Buffer;
  readonly signature: Buffer;
  readonly key: string;
}

/**
 * Verifies Ed25519 signatures on a worker thread (node:worker_threads), so the gate's one
 * event loop keeps deciding scans while the site's records are checked. The thread only
 * says whether a signature holds; every other check stays with the caller.
 *
 * Bounded: beyond `maxInFlight` signatures waiting, `verify` answers `overloaded` at once
 * rather than queueing without end. A thread that dies is started again; the signatures it
 * held are answered `lost`, never `ok`. `stop()` ends the thread and answers what it held
 * `stopped`. Signatures asked for in one turn of the event loop go over in one message.
 */
export class OffThreadVerifier implements SignatureVerifier {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, (answer: VerifyAnswer) => void>();
  private batch: Job[] = [];
  private nextId = 1;
  private stopped = false;
  private lastStart = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private idle: (() => void)[] = [];
  private restartCount = 0;

  constructor(
    private readonly options: {
      readonly maxInFlight?: number;
      /** A thread that dies again within this long of its start is restarted after it (default 1 s). */
      readonly restartBackoffMs?: number;
      /** Told when the thread died and what it held was answered `lost`. */
      readonly onFailure?: (info: { readonly error: string | undefined; readonly lost: number }) => void;
    } = {},
  ) {}

  /** Starts the thread (also done by the first `verify`). */
  start(): void {
    if (this.stopped || this.worker !== undefined) return;
    this.lastStart = Date.now();
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    let error: string | undefined;
    worker.on("message", (answers: (number | boolean)[]) => this.answer(answers));
    worker.on("error", (err) => {
      error = err.message;
    });
    worker.on("exit", () => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failed(error);
    });
    // Holds the process open only while it has work (see `track`).
    if (this.pending.size === 0) worker.unref();
    this.worker = worker;
    // What was asked for while no thread ran goes to this one.
    if (this.batch.length > 0) this.send();
  }

  /** Signatures handed over and not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** How many times the thread was started again after it died. */
  get restarts(): number {
    return this.restartCount;
  }

  /** The running thread (for status and tests); undefined between a death and its restart, and after stop. */
  get thread(): Worker | undefined {
    return this.worker;
  }

  verify(signed: Buffer, signature: Buffer, publicKey: string): Promise<VerifyAnswer> {
    if (this.stopped) return Promise.resolve("stopped");
    if (this.pending.size >= (this.options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT))
      return Promise.resolve("overloaded");
    if (this.worker === undefined && this.restartTimer === undefined) this.start();
    const id = this.nextId++;
    return new Promise<VerifyAnswer>((resolve) => {
      if (this.pending.size === 0) this.worker?.ref();
      this.pending.set(id, resolve);
      this.batch.push({ id, signed, signature, key: publicKey });
      if (this.batch.length === 1) queueMicrotask(() => this.send());
    });
  }

  /** Resolves once every signature handed over so far is answered. */
  settled(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  /** Ends the thread; what it held is answered `stopped`. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    const worker = this.worker;
    this.worker = undefined;
    this.batch = [];
    this.settle("stopped");
    if (worker !== undefined) await worker.terminate();
  }

  private send(): void {
    // Between a death and a delayed restart they wait (bounded by `maxInFlight`) for the next thread.
    if (this.worker === undefined || this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.worker.postMessage(batch);
  }

  private answer(answers: readonly (number | boolean)[]): void {
    for (let i = 0; i + 1 < answers.length; i += 2)
      this.resolve(answers[i] as number, answers[i + 1] === true ? "ok" : "bad");
  }

  private resolve(id: number, answer: VerifyAnswer): void {
    const resolve = this.pending.get(id);
    if (resolve === undefined) return;
    this.pending.delete(id);
    resolve(answer);
    if (this.pending.size === 0) this.whenIdle();
  }

  private settle(answer: VerifyAnswer): number {
    const held = [...this.pending.values()];
    this.pending.clear();
    for (const resolve of held) resolve(answer);
    this.whenIdle();
    return held.length;
  }

  private whenIdle(): void {
    this.worker?.unref();
    for (const resolve of this.idle.splice(0)) resolve();
  }

  /** The thread died: what it held is lost (never taken as verified), and a new one starts. */
  private failed(error: string | undefined): void {
    // Jobs not handed over yet go to the new thread; the ones it held are lost.
    const waiting = new Set(this.batch.map((j) => j.id));
    const held = [...this.pending].filter(([id]) => !waiting.has(id));
    for (const [id] of held) this.pending.delete(id);
    for (const [, resolve] of held) resolve("lost");
    if (this.pending.size === 0) this.whenIdle();
    this.options.onFailure?.({ error, lost: held.length });
    if (this.stopped) return;
    this.restartCount++;
    const backoff = this.options.restartBackoffMs ?? RESTART_BACKOFF_MS;
    if (Date.now() - this.lastStart >= backoff) {
      this.start();
      return;
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.start();
    }, backoff);
    this.restartTimer.unref();
  }
}

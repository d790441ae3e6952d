import { Worker } from "node:worker_threads";

/** What a line that is not JSON parses to. */
export const MALFORMED: unique symbol = Symbol("malformed line");
declare const parsedJson: unique symbol;
/**
 * A value JSON.parse made of one line: any JSON value at run time, branded in the types so
 * that a line's raw bytes cannot be passed where its parsed value is expected.
 */
export type ParsedJson = { readonly [parsedJson]: true };
export type ParsedLine = ParsedJson | typeof MALFORMED;

/**
 * Lines of a body, LF-free, side by side in `bytes`: line i ends at `ends[i]` and starts
 * where line i − 1 ended (the first at 0).
 */
export interface LineBatch {
  readonly bytes: Buffer;
  readonly ends: readonly number[];
}

/** Turns a batch of a body's lines into their JSON values, in order. */
export interface BodyLineParser {
  parse(batch: LineBatch): Promise<ParsedLine[]>;
  /** Ends what `parse` started; a parse still waiting rejects. */
  stop(): Promise<void>;
}

/** JSON.parse on the caller's thread: for bodies too small to be worth a thread. */
export const inThreadLineParser: BodyLineParser = {
  parse(batch) {
    const values: ParsedLine[] = [];
    let start = 0;
    for (const end of batch.ends) {
      values.push(parseText(batch.bytes.toString("utf8", start, end)));
      start = end;
    }
    return Promise.resolve(values);
  },
  stop: () => Promise.resolve(),
};

/** One line's bytes as JSON, or MALFORMED: for a body read whole on the caller's thread (a roster). */
export function parseJsonLine(bytes: Buffer): ParsedLine {
  return parseText(bytes.toString("utf8"));
}

function parseText(text: string): ParsedLine {
  try {
    return JSON.parse(text) as ParsedJson;
  } catch {
    return MALFORMED;
  }
}

/** The parsing thread's nice value (Linux: 0 is the gate's own, 19 the lowest). */
const PARSER_NICE = 10;

/**
 * The parsing thread's code: plain CommonJS evaluated in the worker, so it runs the same
 * from the TypeScript sources and from dist/ (as the WAL checkpointer's). It only turns
 * text into values; every check of what they hold stays with the caller.
 */
const WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
// The gate's decisions come first: on Linux a thread has a nice value of its own, and at 10
// the scheduler gives the event loop's thread about nine tenths of a core they share. This
// thread holds no lock, so running it later only makes the apply take longer.
try { require("node:os").setPriority(${PARSER_NICE}); } catch (err) { /* not allowed here: it runs at the gate's own priority */ }
parentPort.on("message", ({ id, bytes, ends }) => {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Array(ends.length);
  const malformed = [];
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    try { values[i] = JSON.parse(text.toString("utf8", start, ends[i])); }
    catch { values[i] = null; malformed.push(i); }
    start = ends[i];
  }
  parentPort.postMessage({ id, values, malformed });
});
`;

interface Answer {
  readonly id: number;
  readonly values: unknown[];
  readonly malformed: number[];
}

/**
 * JSON.parse on a worker thread (node:worker_threads), started by the first `parse`.
 *
 * Why a thread for what is a few microseconds a line: V8 interns every string value of 10
 * characters or fewer that JSON.parse makes (measured on node 20), and a snapshot's ids and
 * person ids are that short and all different, so 10⁶ credentials put about 2·10⁶ strings in
 * the isolate's string table. Each time that table grows it is rebuilt whole, in one go:
 * while a 10⁶ snapshot applied, 20–80 ms at a time (perf: `StringTable::Data::Resize` under
 * `JsonParser::ParseJsonValue`), several times per apply, and every scan waited for it.
 * A worker has a string table of its own; the values it posts back arrive as plain strings,
 * which V8 does not intern.
 *
 * The thread dying rejects the parses it held (the apply is then refused as a failure of
 * this gate, never taken as valid).
 */
export class OffThreadLineParser implements BodyLineParser {
  private worker: Worker | undefined;
  private readonly pending = new Map<
    number,
    { resolve: (v: ParsedLine[]) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;

  parse(batch: LineBatch): Promise<ParsedLine[]> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // Copied, not transferred: the caller still digests these bytes.
      worker.postMessage({ id, bytes: batch.bytes, ends: batch.ends });
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.fail(new Error("the parsing thread was stopped"));
    if (worker !== undefined) await worker.terminate();
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on("message", (answer: Answer) => {
      const waiting = this.pending.get(answer.id);
      if (waiting === undefined) return;
      this.pending.delete(answer.id);
      const values = answer.values as ParsedLine[];
      for (const i of answer.malformed) values[i] = MALFORMED;
      waiting.resolve(values);
    });
    worker.on("error", (err) => this.fail(new Error(`the parsing thread failed: ${err.message}`)));
    worker.on("exit", (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.fail(new Error(`the parsing thread exited (${code})`));
    });
    this.worker = worker;
    return worker;
  }

  private fail(err: Error): void {
    const held = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of held) reject(err);
  }
}

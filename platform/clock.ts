/** The source of "now" for everything that decides. Tests pass a fake; nothing on the decision path calls Date.now(). */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

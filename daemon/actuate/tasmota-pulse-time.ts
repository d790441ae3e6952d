/**
 * Tasmota's `PulseTime<n>` value for a pulse of `ms`: 1–111 are tenths of a second
 * (0.1 s to 11.1 s); from 112 on, the value is seconds + 100 (112 = 12 s, up to 64900).
 * 0 would turn the pulse off (a plain switch), so the shortest pulse is 1 (100 ms).
 */
export function tasmotaPulseTime(ms: number): number {
  if (ms <= 11_100) return Math.min(111, Math.max(1, Math.round(ms / 100)));
  return Math.min(64_900, Math.max(112, Math.round(ms / 1000) + 100));
}

/** The pulse length, ms, a `PulseTime` value stands for. */
export function tasmotaPulseMs(value: number): number {
  return value <= 111 ? value * 100 : (value - 100) * 1000;
}

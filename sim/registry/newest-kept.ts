/**
 * Appends `item` to a log the simulated registry keeps for tests and benches (requests seen,
 * event posts, bodies sent), keeping the newest `max` once it has twice that many: a demo
 * left running all day would otherwise hold every request and upload it ever saw. Trimmed
 * by halves so each append costs O(1) on average.
 */
export function keepNewest<T>(log: T[], item: T, max: number): void {
  log.push(item);
  if (log.length > 2 * max) log.splice(0, log.length - max);
}

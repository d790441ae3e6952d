/**
 * A bounded map from credential id to the key material prepared for it. Importing an
 * Ed25519 key or decoding a TOTP secret costs about as much as a verify, so it is done
 * once per credential and reused; the entry is rebuilt when the registry changes the
 * credential's key. Least recently used entries are evicted past `capacity`.
 */
export class KeyCache<K> {
  private readonly entries = new Map<string, { material: string; key: K }>();

  /** `capacity`: entries kept; the default covers every credential a busy gate sees in a day. */
  constructor(private readonly capacity = 50_000) {}

  /** The prepared key for `id` whose raw form is `material`, preparing it with `prepare` if needed. */
  get(id: string, material: string, prepare: (material: string) => K): K {
    const hit = this.entries.get(id);
    if (hit !== undefined && hit.material === material) {
      // Re-insert to mark as recently used (Map keeps insertion order).
      this.entries.delete(id);
      this.entries.set(id, hit);
      return hit.key;
    }
    const key = prepare(material);
    this.entries.delete(id);
    this.entries.set(id, { material, key });
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    return key;
  }

  get size(): number {
    return this.entries.size;
  }
}

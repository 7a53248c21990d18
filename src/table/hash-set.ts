/**
 * A set of 128-bit hashes held as four u32 words each (the layout of `hashColumns`),
 * open addressing on the first word; no per-entry allocation.
 */
export class HashSet128 {
  private slots: Uint32Array;
  private used: Uint8Array;
  private mask: number;
  private count = 0;

  constructor(expected = 16) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.slots = new Uint32Array(capacity * 4);
    this.used = new Uint8Array(capacity);
    this.mask = capacity - 1;
  }

  /** Number of distinct hashes added. */
  get size(): number {
    return this.count;
  }

  private find(words: Uint32Array, at: number): number {
    let i = words[at] & this.mask;
    const s = this.slots;
    while (this.used[i]) {
      const o = i * 4;
      if (s[o] === words[at] && s[o + 1] === words[at + 1] && s[o + 2] === words[at + 2] && s[o + 3] === words[at + 3]) return i;
      i = (i + 1) & this.mask;
    }
    return ~i;
  }

  /** Adds hash number `row` of `words`. */
  add(words: Uint32Array, row: number): void {
    if ((this.count + 1) * 2 > this.used.length) this.grow();
    const i = this.find(words, row * 4);
    if (i >= 0) return;
    const slot = ~i;
    this.used[slot] = 1;
    this.slots.set(words.subarray(row * 4, row * 4 + 4), slot * 4);
    this.count++;
  }

  /** Whether hash number `row` of `words` is in the set. */
  has(words: Uint32Array, row: number): boolean {
    return this.find(words, row * 4) >= 0;
  }

  private grow(): void {
    const old = this.slots;
    const oldUsed = this.used;
    this.slots = new Uint32Array(old.length * 2);
    this.used = new Uint8Array(oldUsed.length * 2);
    this.mask = this.used.length - 1;
    this.count = 0;
    for (let i = 0; i < oldUsed.length; i++) if (oldUsed[i]) this.add(old, i);
  }
}

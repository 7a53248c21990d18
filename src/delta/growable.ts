/** Append-only typed arrays that double when full. */

/** A growable Uint32Array. */
export class GrowableU32 {
  private data = new Uint32Array(64);
  /** Number of values pushed. */
  length = 0;

  /** Appends one value. */
  push(v: number): void {
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = v;
  }

  /** Appends the 4 words of a hash at `from[at..]`. */
  push4(from: Uint32Array, at: number): void {
    if (this.length + 4 > this.data.length) this.grow();
    const d = this.data;
    const n = this.length;
    d[n] = from[at];
    d[n + 1] = from[at + 1];
    d[n + 2] = from[at + 2];
    d[n + 3] = from[at + 3];
    this.length = n + 4;
  }

  /** A right-sized copy of the values. */
  toArray(): Uint32Array {
    return this.data.slice(0, this.length);
  }

  private grow(): void {
    const next = new Uint32Array(this.data.length * 2);
    next.set(this.data);
    this.data = next;
  }
}

/** A growable Int32Array. */
export class GrowableI32 {
  private data = new Int32Array(16);
  /** Number of values pushed. */
  length = 0;

  /** Appends one value. */
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }

  /** The value at `i`. */
  at(i: number): number {
    return this.data[i];
  }

  /** A right-sized copy of the values. */
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

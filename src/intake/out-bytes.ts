/** The growable byte buffer the compiled NDJSON validator writes a fragment's lines into. */

/** Growable output bytes of one validation. */
export class OutBytes {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }

  /** Makes room for `n` more bytes. */
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Appends a string known to be ASCII. */
  ascii(s: string): void {
    this.room(s.length);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < s.length; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Appends a safe integer in decimal, as String() writes it. */
  integer(v: number): void {
    this.room(17);
    const buf = this.buf;
    if (v < 0) {
      buf[this.pos++] = 45;
      v = -v;
    }
    if (v < 10) {
      buf[this.pos++] = 48 + v;
      return;
    }
    let n = 0;
    for (let x = v; x >= 1; x = Math.floor(x / 10)) n++;
    let p = this.pos + n;
    this.pos = p;
    for (let x = v; x >= 1; x = Math.floor(x / 10)) buf[--p] = 48 + (x % 10);
  }

  /** Appends `v` (0 ≤ v < 10^width) zero-padded to `width` digits. */
  padded(v: number, width: number): void {
    this.room(width);
    const buf = this.buf;
    for (let p = this.pos + width - 1; p >= this.pos; p--) {
      buf[p] = 48 + (v % 10);
      v = Math.floor(v / 10);
    }
    this.pos += width;
  }

  /** Appends any string as UTF-8. */
  text(s: string): void {
    this.room(s.length * 3);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  /** Appends `src[s, e)`. */
  bytes(src: Uint8Array, s: number, e: number): void {
    const n = e - s;
    this.room(n);
    const buf = this.buf;
    let p = this.pos;
    if (n < 512) for (let i = s; i < e; i++) buf[p++] = src[i];
    else {
      buf.set(src.subarray(s, e), p);
      p += n;
    }
    this.pos = p;
  }
}

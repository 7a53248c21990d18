/**
 * The CSV tokenizer: finds records and fields in a Buffer and records their byte
 * ranges row-major into a batch, with a hot loop for quote-free records and a
 * general path for quotes, escapes, blank/comment lines and wrong field counts.
 */
import { count as formatCount, overLimit } from "./limits.js";
import { isUtf8 } from "node:buffer";
import type { SourceOptions } from "../definition/schema.js";
import { SourceFormatError } from "./errors.js";
import { firstInvalidUtf8, unescapeQuoted } from "./text.js";
import { type ByteDecoder, type RawBatch, type RowProblem, SimpleBatch, TextColumn, cp1252Decoder, utf8Decoder } from "./types.js";

const LF = 10;
const CR = 13;

/** Tokenizes CSV buffers into batches of {@link TextColumn}s (collected in `out`). */
export class CsvTokenizer {
  line = 1;
  names: string[] | null = null;
  private ncols = 0;
  private stride = 0;
  private cells = new Int32Array(0);
  private rows = new Int32Array(0);
  private n = 0;
  private overrides: (Map<number, string> | undefined)[] = [];
  private problems: RowProblem[] = [];
  private pending: number[] = [];
  private pendingCount = 0;
  private nextQuote = -1;
  private nextDelim = -1;
  private nextCr = -1;
  private nextLf = -1;
  private text = "";
  private fieldCount = 0;
  private skip: number;
  private readonly delim: number;
  private readonly quote: number;
  private readonly escape: number;
  private readonly comment: number;
  readonly decode: ByteDecoder;
  readonly out: RawBatch[] = [];

  constructor(
    private readonly o: SourceOptions,
    private readonly label: string,
    private readonly batchRows: number,
    private readonly maxRecord: number = 64 * 1024 * 1024,
    private readonly maxColumns?: number,
  ) {
    this.delim = o.delimiter.charCodeAt(0);
    this.quote = o.quote.charCodeAt(0);
    this.escape = o.escape !== undefined && o.escape !== o.quote ? o.escape.charCodeAt(0) : -1;
    this.comment = o.comment !== undefined ? o.comment.charCodeAt(0) : -1;
    this.skip = o.skip_rows;
    this.decode = o.encoding === "utf-8" ? utf8Decoder : cp1252Decoder;
  }

  private recLine = 1;

  private fail(reason: string, row = this.recLine): never {
    throw new SourceFormatError(`${this.label} row ${row}: ${reason}.`, row);
  }

  /** Throws the "row is too long" error for the record starting on `row`. */
  tooLong(row = this.recLine): never {
    const max = this.maxRecord;
    const limit = max >= 1024 * 1024 && max % (1024 * 1024) === 0 ? `${max / (1024 * 1024)} MiB` : `${max.toLocaleString("en-US")} bytes`;
    this.fail(
      `the row is longer than ${limit} (source.options.max_row_bytes); a quote is probably never closed or the delimiter is not ${JSON.stringify(this.o.delimiter)} — fix the file, or raise max_row_bytes if rows this long are genuine`,
      row,
    );
  }

  private unescape(buf: Buffer, s: number, e: number): string {
    return unescapeQuoted(this.decode(buf, s, e), this.quote, this.escape);
  }

  /** Tokenizes one record at `p`; returns the position after it, or -1 when the record continues past `end`. */
  private record(buf: Buffer, p: number, end: number, final: boolean, cells: Int32Array, base: number, max: number): number {
    const delim = this.delim;
    const quote = this.quote;
    const escape = this.escape;
    this.pendingCount = 0;
    let field = 0;
    for (;;) {
      let s: number;
      let e: number;
      if (p < end && buf[p] === quote) {
        s = p + 1;
        let q = s;
        let special = false;
        for (;;) {
          while (q < end && buf[q] !== quote && buf[q] !== escape) {
            if (buf[q] === LF) this.line++;
            q++;
          }
          if (q >= end) {
            if (final) this.fail(`field ${field + 1} opens a quote that is never closed; close it, or double any quote inside a quoted field`);
            return -1;
          }
          if (q + 1 >= end && !final) return -1;
          if (buf[q] === escape && escape !== quote) {
            special = true;
            q += 2;
            continue;
          }
          if (q + 1 < end && buf[q + 1] === quote) {
            special = true;
            q += 2;
            continue;
          }
          break;
        }
        e = q;
        p = q + 1;
        if (p < end) {
          const c = buf[p];
          if (c !== delim && c !== LF && c !== CR) {
            this.fail(`unexpected ${JSON.stringify(String.fromCharCode(c))} after the closing quote of field ${field + 1}; quote the whole field and double any quote inside it`);
          }
        }
        if (special && field < max) {
          this.pending[this.pendingCount++] = field;
          this.pending[this.pendingCount++] = s;
          this.pending[this.pendingCount++] = e;
        }
      } else {
        s = p;
        while (p < end) {
          const c = buf[p];
          if (c === delim || c === LF || c === CR) break;
          p++;
        }
        if (p >= end && !final) return -1;
        e = p;
      }
      if (field < max) {
        cells[base + 2 * field] = s;
        cells[base + 2 * field + 1] = e;
      }
      field++;
      if (p >= end) break;
      const c = buf[p];
      if (c === delim) {
        p++;
        continue;
      }
      p++;
      if (c === CR) {
        if (p < end) {
          if (buf[p] === LF) p++;
        } else if (!final) return -1;
      }
      break;
    }
    this.fieldCount = field;
    return p;
  }

  private start(buf: Buffer, p: number, end: number, final: boolean): number {
    const scratch = new Int32Array(2 * 16384);
    const next = this.record(buf, p, end, final, scratch, 0, 16384);
    if (next < 0) return -1;
    if (next - p > this.maxRecord) this.tooLong();
    if (this.maxColumns !== undefined && this.fieldCount > this.maxColumns) throw overLimit(this.label, `has more than ${formatCount(this.maxColumns)} columns`, "TIDEMARK_MAX_COLUMNS");
    if (this.fieldCount > 16384) this.fail("has more than 16,384 columns");
    const count = this.fieldCount;
    if (this.o.header) {
      const names: string[] = [];
      for (let f = 0; f < count; f++) names.push(this.decode(buf, scratch[2 * f], scratch[2 * f + 1]).trim());
      for (let i = 0; i < this.pendingCount; i += 3) names[this.pending[i]] = this.unescape(buf, this.pending[i + 1], this.pending[i + 2]).trim();
      this.names = names;
    } else {
      this.names = Array.from({ length: count }, (_, i) => String(i + 1));
    }
    this.ncols = count;
    this.stride = 2 * count;
    this.reset();
    return this.o.header ? next : p;
  }

  private reset(): void {
    this.cells = new Int32Array(this.batchRows * this.stride);
    this.rows = new Int32Array(this.batchRows);
    this.n = 0;
    this.overrides = new Array(this.ncols).fill(undefined);
    this.problems = [];
  }

  /** Emits the rows gathered so far (they reference `buf`). */
  flush(buf: Buffer): void {
    if (this.n === 0 || this.names === null) return;
    const cols = this.names.map((_, c) => new TextColumn(buf, this.cells, this.stride, 2 * c, this.n, this.decode, this.overrides[c]));
    this.out.push(new SimpleBatch(this.names, true, this.rows.subarray(0, this.n), cols, this.problems));
    this.reset();
  }

  /**
   * The hot loop: consumes complete, quote-free records with the right field
   * count, straight into the batch. It searches a latin1 view of the buffer
   * (one char per byte, so offsets are byte offsets) with `String#indexOf`,
   * which is markedly faster than a JS byte loop. Stops at anything else (quotes, blank or
   * comment lines, a wrong field count, a full batch, the last partial line)
   * and leaves it to the general path.
   */
  private fastRun(buf: Buffer, p: number, end: number): number {
    if (this.names === null || this.skip > 0) return p;
    const delim = this.delim;
    const ncols = this.ncols;
    const stride = this.stride;
    const cells = this.cells;
    const rows = this.rows;
    const cap = this.batchRows;
    const comment = this.comment;
    const maxRecord = this.maxRecord;
    let n = this.n;
    let line = this.line;
    let nq = this.nextQuote;
    const text = this.text;
    const dch = String.fromCharCode(delim);
    const qch = String.fromCharCode(this.quote);
    const NONE = 0x7fffffff;
    let nd = this.nextDelim;
    let ncr = this.nextCr;
    let nl = this.nextLf;
    while (p < end && n < cap) {
      const c0 = buf[p];
      if (c0 === LF || c0 === CR || c0 === comment) break;
      if (nl < p) {
        nl = text.indexOf("\n", p);
        if (nl < 0) nl = NONE;
      }
      if (nl === NONE || nl - p > maxRecord) break;
      if (nq < p) {
        nq = text.indexOf(qch, p);
        if (nq < 0) nq = NONE;
      }
      if (nq < nl) break;
      if (ncr < p) {
        ncr = text.indexOf("\r", p);
        if (ncr < 0) ncr = NONE;
      }
      const stop = ncr === nl - 1 ? nl - 1 : nl;
      if (ncr < stop) break;
      const base = n * stride;
      let f = 0;
      let s = p;
      for (;;) {
        if (nd < s) {
          nd = text.indexOf(dch, s);
          if (nd < 0) nd = NONE;
        }
        if (nd >= stop) break;
        if (f < ncols) {
          cells[base + 2 * f] = s;
          cells[base + 2 * f + 1] = nd;
        }
        f++;
        s = nd + 1;
      }
      if (f + 1 !== ncols) break;
      cells[base + 2 * f] = s;
      cells[base + 2 * f + 1] = stop;
      rows[n++] = line++;
      p = nl + 1;
    }
    this.n = n;
    this.line = line;
    this.nextQuote = nq;
    this.nextDelim = nd;
    this.nextCr = ncr;
    this.nextLf = nl;
    return p;
  }

  /** Tokenizes complete records of `buf`; returns the offset of the first byte not consumed. */
  parse(buf: Buffer, final: boolean): number {
    this.nextQuote = this.nextDelim = this.nextCr = this.nextLf = -1;
    this.text = buf.toString("latin1");
    try {
      return this.parseAll(buf, final);
    } finally {
      this.text = "";
    }
  }

  private parseAll(buf: Buffer, final: boolean): number {
    const end = buf.length;
    let p = 0;
    while (p < end) {
      p = this.fastRun(buf, p, end);
      if (p >= end) break;
      const c = buf[p];
      if (this.skip > 0) {
        const nl = buf.indexOf(LF, p);
        if (nl < 0 && !final) break;
        p = nl < 0 ? end : nl + 1;
        this.line++;
        this.skip--;
        continue;
      }
      if (c === LF || c === CR) {
        if (c === CR && p + 1 >= end && !final) break;
        p += c === CR && buf[p + 1] === LF ? 2 : 1;
        this.line++;
        continue;
      }
      if (c === this.comment) {
        const nl = buf.indexOf(LF, p);
        if (nl < 0 && !final) break;
        p = nl < 0 ? end : nl + 1;
        this.line++;
        continue;
      }
      const line = this.line;
      this.recLine = line;
      if (this.names === null) {
        const next = this.start(buf, p, end, final);
        if (next < 0) {
          this.line = line;
          break;
        }
        if (next !== p) this.line++;
        else this.line = line;
        p = next;
        continue;
      }
      if (this.n === this.batchRows) this.flush(buf);
      const base = this.n * this.stride;
      const next = this.record(buf, p, end, final, this.cells, base, this.ncols);
      if (next < 0) {
        this.line = line;
        break;
      }
      if (next - p > this.maxRecord) this.tooLong();
      if (this.fieldCount !== this.ncols) this.wrongCount(base);
      for (let i = 0; i < this.pendingCount; i += 3) {
        const f = this.pending[i];
        (this.overrides[f] ??= new Map()).set(this.n, this.unescape(buf, this.pending[i + 1], this.pending[i + 2]));
      }
      this.rows[this.n++] = line;
      this.line++;
      p = next;
    }
    return p;
  }

  private wrongCount(base: number): void {
    const got = this.fieldCount;
    for (let f = got; f < this.ncols; f++) this.cells[base + 2 * f] = -1;
    const reason = `has ${got} field${got === 1 ? "" : "s"} but the header has ${this.ncols}`;
    this.problems.push({ index: this.n, reason });
  }

  /** Throws when `buf[0, end)` is not UTF-8, naming the line of the first bad byte. */
  checkUtf8(buf: Buffer, end: number, firstLine: number): void {
    if (this.o.encoding !== "utf-8" || isUtf8(buf.subarray(0, end))) return;
    const bad = firstInvalidUtf8(buf, end);
    let line = firstLine;
    for (let i = 0; i < bad; i++) if (buf[i] === LF) line++;
    this.fail(`byte 0x${buf[bad].toString(16).padStart(2, "0")} is not valid UTF-8; declare the file's encoding (e.g. source.options.encoding: latin1) or re-export it as UTF-8`, line);
  }
}

/**
 * Cell handling shared by every sink: trimming, null tokens, and the generic
 * per-cell loop. Sinks for hot types (string, double, date/timestamp) also have
 * their own monomorphic loops over CSV byte ranges.
 */
import { type RawColumn, TextColumn } from "../formats/types.js";

/** Null handling shared by every column of a source. */
export interface NullTokens {
  /** Non-empty tokens (after trimming) that mean "no value", as bytes. */
  readonly bytes: readonly Uint8Array[];
  /** All tokens as strings. */
  readonly strings: ReadonlySet<string>;
  /** Whether the empty string is a null token (the common case, checked first). */
  readonly empty: boolean;
}

/** Builds {@link NullTokens} from `source.options.null_values`. */
export function nullTokens(values: readonly string[]): NullTokens {
  return {
    bytes: values.filter((v) => v !== "").map((v) => Buffer.from(v, "utf8")),
    strings: new Set(values),
    empty: values.includes(""),
  };
}

/** Called for a cell that could not be cast (`value` is its text) or that is null where nulls are not allowed (`value` null). */
export type OnBadCell = (index: number, value: string | null, reason: string) => void;

/** How one column's cells are cast: its null tokens, trimming, the reason a null is bad (null when allowed) and the bad-cell callback. */
export interface CastContext {
  readonly nulls: NullTokens;
  readonly trim: boolean;
  readonly nullReason: string | null;
  readonly onBad: OnBadCell;
}

/** Whether `buf[s, e)` equals one of `tokens`. */
export function isToken(buf: Uint8Array, s: number, e: number, tokens: readonly Uint8Array[]): boolean {
  const len = e - s;
  outer: for (const t of tokens) {
    if (t.length !== len) continue;
    for (let k = 0; k < len; k++) if (buf[s + k] !== t[k]) continue outer;
    return true;
  }
  return false;
}

/** A sink as seen by the generic loop: index-based writes. */
export interface CellTarget {
  /** Casts text bytes (trimmed, not a null token) into slot `at`; returns a failure reason or null. */
  bytesAt(at: number, buf: Uint8Array, s: number, e: number): string | null;
  /** Casts a string (trimmed, not a null token) into slot `at`. */
  textAt(at: number, v: string): string | null;
  /** Casts a native non-string value into slot `at`. */
  nativeAt(at: number, v: unknown): string | null;
  /** Marks slot `at` null. */
  nullAt(at: number): void;
}

/** Trims blanks (space, tab) like the byte path does. */
export function trimText(v: string): string {
  return v.replace(/^[ \t]+|[ \t]+$/g, "");
}

/** Casts one string cell of row `i` into slot `at`. */
export function castString(t: CellTarget, at: number, i: number, raw: string, ctx: CastContext): void {
  const v = ctx.trim ? trimText(raw) : raw;
  if (ctx.nulls.strings.has(v)) {
    t.nullAt(at);
    if (ctx.nullReason !== null) ctx.onBad(i, null, ctx.nullReason);
    return;
  }
  const reason = t.textAt(at, v);
  if (reason !== null) {
    t.nullAt(at);
    ctx.onBad(i, v, reason);
  }
}

/** Casts one cell of any column (the slow path): row `i` of `col` into slot `at`. */
export function castCell(t: CellTarget, at: number, col: RawColumn, i: number, ctx: CastContext): void {
  const v = col.value(i);
  if (v === null || v === undefined) {
    t.nullAt(at);
    if (ctx.nullReason !== null) ctx.onBad(i, null, ctx.nullReason);
  } else if (typeof v === "string") castString(t, at, i, v, ctx);
  else {
    const reason = t.nativeAt(at, v);
    if (reason !== null) {
      t.nullAt(at);
      ctx.onBad(i, col.text(i), reason);
    }
  }
}

/**
 * Generic loop: casts `n` cells of `col` into slots `start..start+n-1`, reading
 * CSV bytes directly when `bytes` is true (cells whose text differs from their
 * bytes, e.g. escaped quotes, go through the string path).
 */
export function castColumnGeneric(t: CellTarget, col: RawColumn, n: number, start: number, ctx: CastContext, bytes: boolean): void {
  if (!(col instanceof TextColumn) || !bytes) {
    for (let i = 0; i < n; i++) castCell(t, start + i, col, i, ctx);
    return;
  }
  const { buf, cells, stride, offset, overrides } = col;
  const { nulls, trim, nullReason, onBad } = ctx;
  for (let i = 0; i < n; i++) {
    const k = i * stride + offset;
    let s = cells[k];
    if (s < 0 || overrides?.has(i)) {
      castCell(t, start + i, col, i, ctx);
      continue;
    }
    let e = cells[k + 1];
    if (trim) {
      while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
      while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
    }
    if (s === e ? nulls.empty : nulls.bytes.length > 0 && isToken(buf, s, e, nulls.bytes)) {
      t.nullAt(start + i);
      if (nullReason !== null) onBad(i, null, nullReason);
      continue;
    }
    const reason = t.bytesAt(start + i, buf, s, e);
    if (reason !== null) {
      t.nullAt(start + i);
      onBad(i, col.decode(buf, s, e), reason);
    }
  }
}

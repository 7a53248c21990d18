/**
 * Per-column casts of pushed JSON values straight to the fragment's NDJSON text, compiled once per
 * dataset column from its definition. They follow the file-source normalizer (src/normalize: same
 * trimming, null tokens, number, boolean and date parsers, partition range) and the fragment
 * encoding (encode.ts) value for value; a cell the normalizer would refuse makes a method return
 * false, and the caller then leaves the whole request to the normalizer for its error.
 */
import type { ColumnDefinition, DatasetDefinition } from "../definition/schema.js";
import { partitionColumn } from "../definition/partition.js";
import { type NullTokens, isToken, nullTokens, trimText } from "../normalize/cast.js";
import { type DateTimeParts, compileDatePattern, parseIsoDate, parseIsoTimestamp, parseWithPattern } from "../normalize/datetime.js";
import { parseDecimal, parseDouble, parseInteger } from "../normalize/numbers.js";
import { inPartitionRange } from "../normalize/partition-range.js";
import { BOOL_FALSE, BOOL_TRUE } from "../normalize/bool-sink.js";
import { encodeScratch, nativeText } from "../normalize/sinks.js";
import { doubleJson, isoDate, isoMicros, isoSecond, microsSecond } from "./encode.js";
import { OutBytes } from "./out-bytes.js";

/** Writes one column's value of a record; every method returns false for a value the normalizer refuses. */
export interface ColumnWriter {
  /** A JSON string without escapes whose UTF-8 bytes are `buf[s, e)`. */
  raw(out: OutBytes, buf: Buffer, s: number, e: number): boolean;
  /** A JSON string (decoded). */
  str(out: OutBytes, v: string): boolean;
  /** A JSON number. */
  num(out: OutBytes, v: number): boolean;
  /** A JSON boolean. */
  bool(out: OutBytes, v: boolean): boolean;
  /** A JSON null or an absent field. */
  nil(out: OutBytes): boolean;
  /** A JSON object or list. */
  obj(out: OutBytes, v: unknown): boolean;
}

const wellFormed = (s: string): string => (s as string & { toWellFormed(): string }).toWellFormed();

/** The text cast of a non-string column over trimmed bytes that are not a null token. */
type BytesCast = (out: OutBytes, buf: Buffer, s: number, e: number) => boolean;

interface Common {
  readonly nulls: NullTokens;
  readonly trim: boolean;
  readonly nil: (out: OutBytes) => boolean;
}

function trimStart(buf: Buffer, s: number, e: number): number {
  while (s < e && (buf[s] === 32 || buf[s] === 9)) s++;
  return s;
}

function trimEnd(buf: Buffer, s: number, e: number): number {
  while (e > s && (buf[e - 1] === 32 || buf[e - 1] === 9)) e--;
  return e;
}

function isNullBytes(nulls: NullTokens, buf: Buffer, s: number, e: number): boolean {
  return s === e ? nulls.empty : nulls.bytes.length > 0 && isToken(buf, s, e, nulls.bytes);
}

/** A writer whose strings go through `cast` after trimming and null tokens (every type but string). */
function castWriter(c: Common, cast: BytesCast, num: (out: OutBytes, v: number) => boolean, bool: (out: OutBytes, v: boolean) => boolean): ColumnWriter {
  const { nulls, trim, nil } = c;
  return {
    raw(out, buf, s, e) {
      if (trim) {
        s = trimStart(buf, s, e);
        e = trimEnd(buf, s, e);
      }
      return isNullBytes(nulls, buf, s, e) ? nil(out) : cast(out, buf, s, e);
    },
    str(out, v) {
      const t = trim ? trimText(v) : v;
      if (nulls.strings.has(t)) return nil(out);
      const [buf, n] = encodeScratch(t);
      return cast(out, buf, 0, n);
    },
    num,
    bool,
    nil,
    obj: () => false,
  };
}

function stringWriter(c: Common): ColumnWriter {
  const { nulls, trim, nil } = c;
  return {
    raw(out, buf, s, e) {
      if (trim) {
        s = trimStart(buf, s, e);
        e = trimEnd(buf, s, e);
      }
      if (isNullBytes(nulls, buf, s, e)) return nil(out);
      out.room(e - s + 2);
      out.buf[out.pos++] = 34;
      out.bytes(buf, s, e);
      out.buf[out.pos++] = 34;
      return true;
    },
    str(out, v) {
      const t = trim ? trimText(v) : v;
      if (nulls.strings.has(t)) return nil(out);
      out.text(JSON.stringify(wellFormed(t)));
      return true;
    },
    num(out, v) {
      out.ascii(`"${String(v)}"`);
      return true;
    },
    bool(out, v) {
      out.ascii(v ? '"true"' : '"false"');
      return true;
    },
    nil,
    obj(out, v) {
      out.text(JSON.stringify(wellFormed(nativeText(v))));
      return true;
    },
  };
}

const refuse = (): boolean => false;

function doubleWriter(c: Common, dec: number): ColumnWriter {
  const put = (out: OutBytes, v: number): boolean => {
    out.ascii(doubleJson(v));
    return true;
  };
  return castWriter(
    c,
    (out, buf, s, e) => {
      const v = parseDouble(buf, s, e, dec);
      return v !== undefined && put(out, v);
    },
    put,
    refuse,
  );
}

function intWriter(c: Common, dec: number): ColumnWriter {
  return castWriter(
    c,
    (out, buf, s, e) => {
      const v = parseInteger(buf, s, e, dec);
      if (v === undefined || v === "range") return false;
      if (typeof v === "number") out.integer(v);
      else out.ascii(String(v));
      return true;
    },
    (out, v) => {
      if (!Number.isSafeInteger(v)) return false;
      out.integer(v);
      return true;
    },
    refuse,
  );
}

function decimalWriter(c: Common, dec: number): ColumnWriter {
  const put = (out: OutBytes, buf: Buffer, s: number, e: number, sep: number): boolean => {
    const v = parseDecimal(buf, s, e, sep);
    if (v === undefined) return false;
    out.ascii(`"${v}"`);
    return true;
  };
  return castWriter(
    c,
    (out, buf, s, e) => put(out, buf, s, e, dec),
    (out, v) => {
      const [buf, n] = encodeScratch(String(v));
      return put(out, buf, 0, n, 46);
    },
    refuse,
  );
}

function boolWriter(c: Common, def: ColumnDefinition): ColumnWriter {
  const truthy = new Set((def.true_values ?? BOOL_TRUE).map((t) => t.toLowerCase()));
  const falsy = new Set((def.false_values ?? BOOL_FALSE).map((t) => t.toLowerCase()));
  const put = (out: OutBytes, v: boolean): boolean => {
    out.ascii(v ? "true" : "false");
    return true;
  };
  const text = (out: OutBytes, v: string): boolean => {
    const t = v.toLowerCase();
    if (truthy.has(t)) return put(out, true);
    if (falsy.has(t)) return put(out, false);
    return false;
  };
  const w = castWriter(c, (out, buf, s, e) => text(out, buf.toString("utf8", s, e)), (out, v) => text(out, String(v)), put);
  return {
    ...w,
    str(out, v) {
      const t = c.trim ? trimText(v) : v;
      return c.nulls.strings.has(t) ? c.nil(out) : text(out, t);
    },
  };
}

const DAY_US = 86_400_000_000;

function temporalWriter(c: Common, def: ColumnDefinition, partition: boolean): ColumnWriter {
  const isDate = def.type === "date";
  const compiled = def.format !== undefined ? compileDatePattern(def.format) : undefined;
  const pattern = typeof compiled === "string" ? undefined : compiled;
  const parts: DateTimeParts = { days: 0, micros: 0 };
  let lastSecond = Number.NaN;
  let secondText = Buffer.alloc(0);
  let lastMicros = Number.NaN;
  const lastText = Buffer.alloc(64);
  let lastLength = 0;
  /** `"<UTC ISO second>.<µs>Z"`, as encode.ts writes a timestamp of `n` µs (a safe integer); the text of the last one is kept. */
  const micros = (out: OutBytes, n: number): void => {
    if (n === lastMicros) {
      out.bytes(lastText, 0, lastLength);
      return;
    }
    const second = microsSecond(n);
    const fraction = n - second * 1_000_000;
    if (second !== lastSecond) {
      lastSecond = second;
      secondText = Buffer.from(`"${isoSecond(second * 1000)}.`, "latin1");
    }
    const from = out.pos;
    out.bytes(secondText, 0, secondText.length);
    out.padded(fraction, 6);
    out.room(2);
    out.buf[out.pos++] = 90;
    out.buf[out.pos++] = 34;
    lastLength = out.pos - from;
    lastMicros = lastLength <= lastText.length ? n : Number.NaN;
    out.buf.copy(lastText, 0, from, from + Math.min(lastLength, lastText.length));
  };
  let lastDay = Number.NaN;
  let lastDayText = "";
  const cast: BytesCast = (out, buf, s, e) => {
    parts.impossible = false;
    const ok = pattern ? parseWithPattern(pattern, buf, s, e, parts) : isDate ? parseIsoDate(buf, s, e, parts) : parseIsoTimestamp(buf, s, e, parts);
    if (!ok || (partition && !inPartitionRange(parts.days))) return false;
    if (isDate) {
      if (parts.days !== lastDay) {
        lastDay = parts.days;
        lastDayText = `"${isoDate(parts.days)}"`;
      }
      out.ascii(lastDayText);
      return true;
    }
    const us = parts.days * DAY_US + parts.micros;
    if (Number.isSafeInteger(us)) micros(out, us);
    else out.ascii(`"${isoMicros(BigInt(parts.days) * BigInt(DAY_US) + BigInt(parts.micros))}"`);
    return true;
  };
  return castWriter(
    c,
    cast,
    (out, v) => {
      const [buf, n] = encodeScratch(String(v));
      return cast(out, buf, 0, n);
    },
    refuse,
  );
}

/** One writer per column of `def.schema.columns`, in order. */
export function columnWriters(def: DatasetDefinition): ColumnWriter[] {
  const opts = def.source.options;
  const dec = opts.decimal_separator.charCodeAt(0);
  const nulls = nullTokens(opts.null_values);
  const keys = new Set(def.schema.key);
  const partition = partitionColumn(def.schema.partition_by);
  return def.schema.columns.map((col) => {
    const nullable = !keys.has(col.name) && col.name !== partition && col.nullable;
    const nil = nullable
      ? (out: OutBytes) => {
          out.ascii("null");
          return true;
        }
      : refuse;
    const c: Common = { nulls, trim: col.trim, nil };
    switch (col.type) {
      case "string":
        return stringWriter(c);
      case "double":
        return doubleWriter(c, dec);
      case "int":
        return intWriter(c, dec);
      case "decimal":
        return col.decimal === "double" ? doubleWriter(c, dec) : decimalWriter(c, dec);
      case "bool":
        return boolWriter(c, col);
      case "date":
      case "timestamp":
        return temporalWriter(c, col, col.name === partition);
    }
  });
}

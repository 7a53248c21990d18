/**
 * SQL for date and timestamp cells, matching src/normalize/datetime.ts: strict ISO dates, ISO 8601
 * timestamps with an optional offset, and `format` patterns (YYYY, MM, M, DD, D, HH, H, mm, ss,
 * S…S). "Impossible" dates (2025-02-30, year 0000, 24:00) get the JS path's distinct reason. Pure.
 */
import type { ColumnDefinition } from "../../definition/schema.js";
import { compileDatePattern } from "../../normalize/datetime.js";
import { sqlString } from "../sql.js";
import type { CastSql } from "./numbers-sql.js";

const DAY_US = 86_400_000_000;

/** Fields of a compiled pattern token (`Field` in datetime.ts). */
const FIELD_NAMES = ["y", "mo", "d", "h", "mi", "s", "f"] as const;

/** The parts of a date/time as SQL integer expressions, and whether they name a real instant. */
interface Parts {
  /** Full-match shape test. */
  readonly shape: string;
  /** SQL BIGINT of each field (defaults filled in). */
  readonly y: string;
  readonly mo: string;
  readonly d: string;
  readonly h: string;
  readonly mi: string;
  readonly s: string;
  /** Microseconds into the second. */
  readonly us: string;
  /** Offset east of UTC in minutes. */
  readonly offset: string;
}

/** SQL of capture group `index` (1-based) of `pattern` in `text` ('' when it did not take part). */
function group(text: string, pattern: string, index: number, groups: number): string {
  const names = Array.from({ length: groups }, (_, i) => `'g${i + 1}'`).join(", ");
  return `struct_extract(regexp_extract(${text}, ${sqlString(pattern)}, [${names}]), 'g${index}')`;
}

/** SQL BIGINT microseconds of a fraction's digits (first six, right-padded), or 0 when empty. */
function micros(digits: string): string {
  return `coalesce(try_cast(rpad(left(${digits}, 6), 6, '0') AS BIGINT), 0)`;
}

/** SQL testing that y-mo-d (year ≥ 1) and h:mi:s are a real calendar date and time. */
function real(p: Parts): string {
  return `(${p.y} >= 1 AND ${p.mo} BETWEEN 1 AND 12 AND ${p.d} >= 1 AND ${dateOf(p)} IS NOT NULL AND ${p.h} <= 23 AND ${p.mi} <= 59 AND ${p.s} <= 59)`;
}

/** SQL DATE of the parts (NULL unless it is a real date). */
function dateOf(p: Parts): string {
  return `try_cast(lpad(${p.y}::VARCHAR, 4, '0') || '-' || lpad(${p.mo}::VARCHAR, 2, '0') || '-' || lpad(${p.d}::VARCHAR, 2, '0') AS DATE)`;
}

/** SQL TIMESTAMPTZ of the parts, shifted by the offset (only valid where {@link real} holds). */
function instantOf(p: Parts): string {
  const days = `(${dateOf(p)} - DATE '1970-01-01')::BIGINT`;
  return `make_timestamptz(${days} * ${DAY_US} + ((${p.h} * 60 + ${p.mi} - ${p.offset}) * 60 + ${p.s}) * 1000000 + ${p.us})`;
}

const ISO_DATE = "([0-9]{4})-([0-9]{2})-([0-9]{2})";

function isoDateParts(text: string): Parts {
  const sub = (from: number, len: number) => `try_cast(substr(${text}, ${from}, ${len}) AS BIGINT)`;
  return { shape: `regexp_full_match(${text}, ${sqlString(ISO_DATE)})`, y: sub(1, 4), mo: sub(6, 2), d: sub(9, 2), h: "0", mi: "0", s: "0", us: "0", offset: "0" };
}

/** ISO 8601 timestamp; groups: 1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second, 7 fraction, 8 offset sign, 9 offset hours, 10 offset minutes. */
const ISO_TIMESTAMP =
  "^([0-9]{4})-([0-9]{2})-([0-9]{2})" +
  "(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?" +
  "(?:[Zz]|([+-])([0-9]{2}):?([0-9]{2}))?)?$";

function isoTimestampParts(text: string): Parts {
  const g = (index: number) => group(text, ISO_TIMESTAMP, index, 10);
  const int = (index: number) => `coalesce(try_cast(${g(index)} AS BIGINT), 0)`;
  const oh = int(9);
  const om = int(10);
  return {
    shape: `(regexp_matches(${text}, ${sqlString(ISO_TIMESTAMP)}) AND ${oh} <= 23 AND ${om} <= 59)`,
    y: int(1),
    mo: int(2),
    d: int(3),
    h: int(4),
    mi: int(5),
    s: int(6),
    us: micros(g(7)),
    offset: `(CASE WHEN ${g(8)} = '-' THEN -1 ELSE 1 END * (${oh} * 60 + ${om}))`,
  };
}

/** A `format` pattern as an anchored RE2 with one group per field (field name → group index), or an unsupported reason. */
export function patternRegex(format: string): { regex: string; fields: Map<string, number> } | { unsupported: string } {
  const p = compileDatePattern(format);
  if (typeof p === "string") return { unsupported: `the date format ${JSON.stringify(format)} ${p}` };
  let regex = "^";
  const fields = new Map<string, number>();
  const tokens = p.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.field === -1) {
      const ch = String.fromCharCode(t.literal);
      regex += /[A-Za-z]/.test(ch) ? ch : `\\x${t.literal.toString(16).padStart(2, "0")}`;
      continue;
    }
    const next = tokens[i + 1];
    if (t.min !== t.max && next !== undefined && next.field !== -1) {
      return { unsupported: `the date format ${JSON.stringify(format)} has a variable-width field followed by another field (the JS path never backtracks)` };
    }
    const name = FIELD_NAMES[t.field];
    fields.set(name, fields.size + 1);
    regex += `([0-9]{${t.min === t.max ? t.min : `${t.min},${t.max}`}})`;
  }
  return { regex: `${regex}$`, fields };
}

function formatParts(text: string, regex: string, fields: Map<string, number>): Parts {
  const int = (name: string, fallback: string) => (fields.has(name) ? `try_cast(${group(text, regex, fields.get(name)!, fields.size)} AS BIGINT)` : fallback);
  return {
    shape: `regexp_matches(${text}, ${sqlString(regex)})`,
    y: int("y", "1970"),
    mo: int("mo", "1"),
    d: int("d", "1"),
    h: int("h", "0"),
    mi: int("mi", "0"),
    s: int("s", "0"),
    us: fields.has("f") ? micros(group(text, regex, fields.get("f")!, fields.size)) : "0",
    offset: "0",
  };
}

/** SQL casting a non-null `text` to DATE or TIMESTAMPTZ like `TemporalSink`, or an unsupported reason. */
export function temporalSql(text: string, column: ColumnDefinition): CastSql | { unsupported: string } {
  const isDate = column.type === "date";
  let parts: Parts;
  if (column.format !== undefined) {
    const r = patternRegex(column.format);
    if ("unsupported" in r) return r;
    parts = formatParts(text, r.regex, r.fields);
  } else parts = isDate ? isoDateParts(text) : isoTimestampParts(text);
  const expected = column.format ?? (isDate ? "YYYY-MM-DD" : "ISO 8601 (YYYY-MM-DD[THH:mm[:ss[.SSS]]][Z|±HH:mm])");
  const failure = `not a ${isDate ? "date" : "timestamp"} in the format ${expected}`;
  const impossible = `not a real calendar ${isDate ? "date" : "date and time"}`;
  const ok = `(${parts.shape} AND ${real(parts)})`;
  const value = isDate ? `CASE WHEN ${ok} THEN ${dateOf(parts)} END` : `CASE WHEN ${ok} THEN ${instantOf(parts)} END`;
  let impossibleWhen = `${parts.shape}`;
  if (column.format === undefined && !isDate) {
    const date = isoDateParts(`left(${text}, 10)`);
    impossibleWhen = `(${date.shape} AND NOT ${real(date)}) OR ${parts.shape}`;
  }
  const reason = `CASE WHEN ${ok} THEN NULL WHEN ${impossibleWhen} THEN ${sqlString(impossible)} ELSE ${sqlString(failure)} END`;
  return { value, reason };
}

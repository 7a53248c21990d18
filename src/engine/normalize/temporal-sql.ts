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

/** The parts of a date/time as SQL BIGINT expressions over a parsed struct. */
interface Parts {
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

/** SQL of `regexp_extract` returning every group of `pattern` as a struct g1, g2, … ('' when unmatched). */
function extract(t: string, pattern: string, groups: number): string {
  const names = Array.from({ length: groups }, (_, i) => `'g${i + 1}'`).join(", ");
  return `regexp_extract(${t}, ${sqlString(pattern)}, [${names}])`;
}

function field(p: string, index: number): string {
  return `struct_extract(${p}, 'g${index}')`;
}

/** SQL BIGINT microseconds of a fraction's digits (first six, right-padded), or 0 when empty. */
function micros(digits: string): string {
  return `coalesce(try_cast(rpad(left(${digits}, 6), 6, '0') AS BIGINT), 0)`;
}

/** SQL DATE of y-mo-d, NULL unless it is a real date. */
function dateOf(p: Parts): string {
  return `try_cast(lpad(${p.y}::VARCHAR, 4, '0') || '-' || lpad(${p.mo}::VARCHAR, 2, '0') || '-' || lpad(${p.d}::VARCHAR, 2, '0') AS DATE)`;
}

/** SQL testing that y-mo-d (year ≥ 1) and h:mi:s are a real calendar date and time. */
function real(p: Parts): string {
  return `(${p.y} >= 1 AND ${p.mo} BETWEEN 1 AND 12 AND ${p.d} >= 1 AND ${dateOf(p)} IS NOT NULL AND ${p.h} <= 23 AND ${p.mi} <= 59 AND ${p.s} <= 59)`;
}

/** SQL TIMESTAMPTZ of the parts, shifted by the offset. */
function instantOf(p: Parts): string {
  const days = `(${dateOf(p)} - DATE '1970-01-01')::BIGINT`;
  return `make_timestamptz(${days} * ${DAY_US} + ((${p.h} * 60 + ${p.mi} - ${p.offset}) * 60 + ${p.s}) * 1000000 + ${p.us})`;
}

const ISO_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}";

/** SQL: `t` (exactly 10 characters) is a well-shaped ISO date that names no real day (year 0000 included). */
function impossibleIsoDate(t: string): string {
  return `(regexp_full_match(${t}, ${sqlString(ISO_DATE)}) AND (left(${t}, 4) = '0000' OR try_cast(${t} AS DATE) IS NULL))`;
}

/** ISO 8601 timestamp; groups: 1 year, 2 month, 3 day, 4 hour, 5 minute, 6 second, 7 fraction, 8 offset sign, 9 offset hours, 10 offset minutes. */
const ISO_TIMESTAMP =
  "^([0-9]{4})-([0-9]{2})-([0-9]{2})" +
  "(?:[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?" +
  "(?:[Zz]|([+-])([0-9]{2}):?([0-9]{2}))?)?$";

function isoTimestampParts(p: string): Parts {
  const int = (index: number) => `coalesce(try_cast(${field(p, index)} AS BIGINT), 0)`;
  return {
    y: int(1),
    mo: int(2),
    d: int(3),
    h: int(4),
    mi: int(5),
    s: int(6),
    us: micros(field(p, 7)),
    offset: `(CASE WHEN ${field(p, 8)} = '-' THEN -1 ELSE 1 END * (${int(9)} * 60 + ${int(10)}))`,
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
    fields.set(FIELD_NAMES[t.field], fields.size + 1);
    regex += `([0-9]{${t.min === t.max ? t.min : `${t.min},${t.max}`}})`;
  }
  return { regex: `${regex}$`, fields };
}

function formatParts(p: string, fields: Map<string, number>): Parts {
  const int = (name: string, fallback: string) => (fields.has(name) ? `try_cast(${field(p, fields.get(name)!)} AS BIGINT)` : fallback);
  return {
    y: int("y", "1970"),
    mo: int("mo", "1"),
    d: int("d", "1"),
    h: int("h", "0"),
    mi: int("mi", "0"),
    s: int("s", "0"),
    us: fields.has("f") ? micros(field(p, fields.get("f")!)) : "0",
    offset: "0",
  };
}

/** How to cast to DATE or TIMESTAMPTZ like `TemporalSink`, or an unsupported reason. */
export function temporalSql(column: ColumnDefinition): CastSql | { unsupported: string } {
  const isDate = column.type === "date";
  const expected = column.format ?? (isDate ? "YYYY-MM-DD" : "ISO 8601 (YYYY-MM-DD[THH:mm[:ss[.SSS]]][Z|±HH:mm])");
  const failure = sqlString(`not a ${isDate ? "date" : "timestamp"} in the format ${expected}`);
  const shaped = sqlString(`not a real calendar ${isDate ? "date" : "date and time"}`);
  const finish = (parts: (p: string) => Parts, shape: (p: string) => string): Pick<CastSql, "value" | "shape"> => ({
    value: (p) => `CASE WHEN ${shape(p)} AND ${real(parts(p))} THEN ${isDate ? dateOf(parts(p)) : instantOf(parts(p))} END`,
    shape,
  });
  if (column.format !== undefined) {
    const r = patternRegex(column.format);
    if ("unsupported" in r) return r;
    return { parse: (t) => extract(t, r.regex, r.fields.size), ...finish((p) => formatParts(p, r.fields), (p) => `${field(p, 1)} <> ''`), failure: () => failure, shaped };
  }
  if (isDate) {
    return {
      parse: (t) => `CASE WHEN regexp_full_match(${t}, ${sqlString(ISO_DATE)}) THEN ${t} END`,
      value: (p) => `CASE WHEN left(${p}, 4) <> '0000' THEN try_cast(${p} AS DATE) END`,
      shape: (p) => `${p} IS NOT NULL`,
      failure: () => failure,
      shaped,
    };
  }
  return {
    parse: (t) => extract(t, ISO_TIMESTAMP, 10),
    ...finish(isoTimestampParts, (p) => `(${field(p, 1)} <> '' AND coalesce(try_cast(${field(p, 9)} AS BIGINT), 0) <= 23 AND coalesce(try_cast(${field(p, 10)} AS BIGINT), 0) <= 59)`),
    failure: (t) => `CASE WHEN ${impossibleIsoDate(`left(${t}, 10)`)} THEN ${shaped} ELSE ${failure} END`,
    shaped,
  };
}

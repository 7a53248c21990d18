/**
 * Normalized records as NDJSON (the fragment format, README "Push intake"): one JSON object per line,
 * keys in schema order; string and decimal-as-string columns as strings, int as JSON integers
 * (exact, 64-bit), double as numbers, bool as true/false, date as "YYYY-MM-DD", timestamp as
 * UTC ISO 8601 with microseconds ("2024-01-02T03:04:05.123456Z"; year 10000, reached through an offset, as
 * "10000-01-01T…"), null for null.
 */
import { type Table, Type } from "apache-arrow";

const MICROS_PER_DAY = 86_400_000_000n;

function pad(n: number | bigint, width: number): string {
  return String(n).padStart(width, "0");
}

/** ISO date of a day count since 1970-01-01. */
export function isoDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * `YYYY-MM-DDTHH:mm:ss` (UTC) of an instant in milliseconds. A timestamp whose offset carries it past
 * 9999-12-31 keeps its year's digits (`10000-01-01T01:00:00`, which DuckDB reads), where
 * `toISOString` writes the expanded `+010000-01-01T01:00:00.000Z`.
 */
export function isoSecond(ms: number): string {
  const iso = new Date(ms).toISOString();
  if (iso[0] !== "+") return iso.slice(0, 19);
  return iso.slice(1, iso.indexOf("T") + 9).replace(/^0+(?=[0-9]{4,}-)/, "");
}

/** UTC ISO timestamp with microseconds of a microsecond count since the epoch. */
export function isoMicros(micros: bigint): string {
  let day = micros / MICROS_PER_DAY;
  let rest = micros % MICROS_PER_DAY;
  if (rest < 0n) {
    rest += MICROS_PER_DAY;
    day -= 1n;
  }
  const ms = Number(rest / 1000n);
  const base = isoSecond(Number(day) * 86_400_000 + ms);
  return `${base}.${pad(rest % 1_000_000n, 6)}Z`;
}

/** The whole second (floor) of a safe-integer count of µs since the epoch, so `n - second * 1e6` is 0–999,999. */
export function microsSecond(n: number): number {
  const second = Math.floor(n / 1_000_000);
  const fraction = n - second * 1_000_000;
  return fraction < 0 ? second - 1 : fraction >= 1_000_000 ? second + 1 : second;
}

type Cell = (i: number) => string;

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Timestamps as JSON strings; the seconds part is formatted once per distinct second. */
function timestampCell(values: BigInt64Array, valid: (i: number) => boolean): Cell {
  let lastSecond = Number.NaN;
  let prefix = "";
  return (i) => {
    if (!valid(i)) return "null";
    const v = values[i];
    if (v > SAFE || v < -SAFE) return `"${isoMicros(v)}"`;
    const n = Number(v);
    const second = microsSecond(n);
    const fraction = n - second * 1_000_000;
    if (second !== lastSecond) {
      lastSecond = second;
      prefix = isoSecond(second * 1000);
    }
    return `"${prefix}.${pad(fraction, 6)}Z"`;
  };
}

/**
 * A double as fragment JSON: a number (a negative zero `-0.0`, which `JSON.stringify` writes `0`), or
 * for NaN and ±Infinity, which JSON lacks, the string (`"NaN"`, `"Infinity"`, `"-Infinity"`) DuckDB's
 * JSON reader casts back to that DOUBLE.
 */
export function doubleJson(v: number): string {
  if (Object.is(v, -0)) return "-0.0";
  if (Number.isFinite(v)) return JSON.stringify(v);
  return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

/** Utf8 values as JSON strings, decoded straight from the column's bytes. */
function utf8Cell(data: { values: Uint8Array; valueOffsets: Int32Array }, valid: (i: number) => boolean): Cell {
  const bytes = Buffer.from(data.values.buffer, data.values.byteOffset, data.values.byteLength);
  const offsets = data.valueOffsets;
  return (i) => (valid(i) ? JSON.stringify(bytes.toString("utf8", offsets[i], offsets[i + 1])) : "null");
}

function cellWriter(table: Table, j: number): Cell {
  const vector = table.getChildAt(j)!;
  if (vector.data.length !== 1) throw new Error(`encodeRows expects one chunk per column, got ${vector.data.length}`);
  const data = vector.data[0];
  const valid = vector.nullCount === 0 ? () => true : (i: number) => vector.isValid(i);
  const values = data.values as ArrayLike<unknown>;
  const type = data.type;
  switch (type.typeId) {
    case Type.Int:
      return (i) => (valid(i) ? String(values[i]) : "null");
    case Type.Float:
      return (i) => (valid(i) ? doubleJson(values[i] as number) : "null");
    case Type.Bool:
      return (i) => (valid(i) ? String(vector.get(i)) : "null");
    case Type.Date:
      return (i) => (valid(i) ? `"${isoDate(Number(values[i]))}"` : "null");
    case Type.Timestamp:
      return values instanceof BigInt64Array ? timestampCell(values, valid) : (i) => (valid(i) ? `"${isoMicros(BigInt(values[i] as bigint))}"` : "null");
    case Type.Utf8:
      return data.valueOffsets instanceof Int32Array && data.values instanceof Uint8Array
        ? utf8Cell({ values: data.values, valueOffsets: data.valueOffsets }, valid)
        : (i) => (valid(i) ? JSON.stringify(String(vector.get(i))) : "null");
    default:
      return (i) => (valid(i) ? JSON.stringify(String(vector.get(i))) : "null");
  }
}

/** Encodes every row of a single-chunk table as an NDJSON line. */
export function encodeRows(table: Table): Buffer {
  const names = table.schema.fields.map((f) => `${JSON.stringify(f.name)}:`);
  const cells = names.map((_, j) => cellWriter(table, j));
  const out: string[] = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    let line = "{";
    for (let j = 0; j < names.length; j++) line += (j ? "," : "") + names[j] + cells[j](i);
    out[i] = `${line}}\n`;
  }
  return Buffer.from(out.join(""), "utf8");
}

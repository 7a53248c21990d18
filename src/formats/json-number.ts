/**
 * JSON numbers a double cannot hold exactly. `JSON.parse` rounds every number to a double, so a
 * decimal like 0.123456789012345678 or an integer above 2^53 would reach a decimal, int or string
 * column with other digits than the source sent. A record whose text may hold such a number is
 * parsed again keeping those numbers' text, as {@link JsonNumber}, for the column casts to read.
 */
import { isSafeNumber, parse, stringify } from "lossless-json";

/** The shortest number token that can lose digits as a double (shorter ones have at most 15 significant digits, or overflow either way). */
const MIN_UNSAFE_LENGTH = 16;

/** A run of characters long enough to be such a token: a cheap test that a record needs the careful parse. */
const MAYBE_UNSAFE = /[0-9.eE+-]{16}/;

/** A number whose value a double does not hold exactly (a JSON number, a Parquet DECIMAL), kept as the text it was written as. */
export class JsonNumber {
  constructor(readonly text: string) {}

  /** The double `JSON.parse` would have read (what nested values and `String()` show). */
  valueOf(): number {
    return Number(this.text);
  }

  toString(): string {
    return this.text;
  }

  toJSON(): number {
    return Number(this.text);
  }
}

/** True when the JSON number token `token` has a value a double does not hold exactly. Pure. */
export function losesDigits(token: string): boolean {
  return token.length >= MIN_UNSAFE_LENGTH && !isSafeNumber(token);
}

const keepLong = (token: string): number | JsonNumber => (losesDigits(token) ? new JsonNumber(token) : Number(token));

/** Parses one JSON value like `JSON.parse` (last duplicate key wins), except that numbers that {@link losesDigits} become {@link JsonNumber}. Throws a SyntaxError on invalid JSON. */
export function parseJsonRecord(text: string): unknown {
  const fast = JSON.parse(text) as unknown;
  if (!MAYBE_UNSAFE.test(text)) return fast;
  return parse(text, null, { parseNumber: keepLong, onDuplicateKey: ({ newValue }) => newValue });
}

/** True when `text` may hold a number that {@link losesDigits} (false means it surely does not). Pure. */
export function mayLoseDigits(text: string): boolean {
  return MAYBE_UNSAFE.test(text);
}

/**
 * JSON text of a nested value (an object, a list, a Parquet list or struct), as `JSON.stringify` writes
 * it except that 64-bit integers (bigint) are numbers with all their digits, where `JSON.stringify` throws.
 */
export function jsonText(v: unknown): string {
  return stringify(v) ?? "null";
}

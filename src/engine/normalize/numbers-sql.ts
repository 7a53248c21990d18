/**
 * SQL for the number cells of the JS normalizer (src/normalize/numbers.ts): the same accepted
 * shapes (sign, 3-digit thousands groups, decimal separator, exponent for doubles, NaN/Inf spelled
 * out) written as RE2 patterns, and the same failure reasons. Pure.
 */
import { sqlString } from "../sql.js";

/** Escapes one character for an RE2 pattern. */
function re(ch: string): string {
  return /[A-Za-z0-9]/.test(ch) ? ch : `\\${ch}`;
}

/** The thousands separator that goes with decimal separator `dec`. */
export function groupSeparator(dec: string): string {
  return dec === "." ? "," : ".";
}

/** RE2 of the integer part: plain digits, or 1–3 digits then groups of exactly 3. */
function intPart(dec: string): string {
  return `(?:[0-9]{1,3}(?:${re(groupSeparator(dec))}[0-9]{3})+|[0-9]+)`;
}

/** RE2 (full match) of a double as `scanNumber` accepts it with an exponent. */
export function doublePattern(dec: string): string {
  const d = re(dec);
  return `[+-]?(?:${intPart(dec)}(?:${d}[0-9]*)?|${d}[0-9]+)(?:[eE][+-]?[0-9]+)?`;
}

/** RE2 (full match) of an integer: no exponent, a fraction only of zeros. */
export function integerPattern(dec: string): string {
  const d = re(dec);
  return `[+-]?(?:${intPart(dec)}(?:${d}0*)?|${d}0+)`;
}

/**
 * RE2 patterns of the spelled-out specials. The JS path lowercases each byte with `| 0x20`, so
 * besides letters of either case, 0x0B reads as "+" and CR as "-".
 */
const INF = "[iI][nN][fF](?:[iI][nN][iI][tT][yY])?";
const NAN_RE = "[nN][aA][nN]";
const POS_INF_RE = `[+\\x0b]?${INF}`;
const NEG_INF_RE = `[-\\r]${INF}`;

/** SQL: `text` with thousands separators removed and the decimal separator made ".". */
export function cleanNumber(text: string, dec: string): string {
  const noGroups = `replace(${text}, ${sqlString(groupSeparator(dec))}, '')`;
  return dec === "." ? noGroups : `replace(${noGroups}, ',', '.')`;
}

/** SQL of the failure reason `base`, with the decimal-separator hint when the other separator occurs in `text`. */
export function numberFailureSql(base: string, text: string, dec: string): string {
  const hinted = `${base} (source.options.decimal_separator is "${dec}")`;
  return `CASE WHEN contains(${text}, ${sqlString(groupSeparator(dec))}) THEN ${sqlString(hinted)} ELSE ${sqlString(base)} END`;
}

/** A typed value and a failure reason (NULL when the cell is valid), both SQL over a non-null text. */
export interface CastSql {
  readonly value: string;
  readonly reason: string;
}

/** SQL casting `text` to DOUBLE exactly like `parseDouble` (overflow becomes ±Infinity, as `Number()` does). */
export function doubleSql(text: string, dec: string): CastSql {
  const isNumber = `regexp_full_match(${text}, ${sqlString(doublePattern(dec))})`;
  const overflow = `CASE WHEN starts_with(${text}, '-') THEN '-inf'::DOUBLE ELSE 'inf'::DOUBLE END`;
  const value =
    `CASE WHEN ${isNumber} THEN coalesce(try_cast(${cleanNumber(text, dec)} AS DOUBLE), ${overflow}) ` +
    `WHEN regexp_full_match(${text}, ${sqlString(NAN_RE)}) THEN 'nan'::DOUBLE ` +
    `WHEN regexp_full_match(${text}, ${sqlString(POS_INF_RE)}) THEN 'inf'::DOUBLE ` +
    `WHEN regexp_full_match(${text}, ${sqlString(NEG_INF_RE)}) THEN '-inf'::DOUBLE END`;
  const special = `regexp_full_match(${text}, ${sqlString(`${NAN_RE}|${POS_INF_RE}|${NEG_INF_RE}`)})`;
  const reason = `CASE WHEN ${isNumber} OR ${special} THEN NULL ELSE ${numberFailureSql("not a number", text, dec)} END`;
  return { value, reason };
}

/** SQL casting `text` to BIGINT exactly like `parseInteger` (thousands groups, an all-zero fraction). */
export function integerSql(text: string, dec: string): CastSql {
  const isInteger = `regexp_full_match(${text}, ${sqlString(integerPattern(dec))})`;
  const whole = `split_part(${cleanNumber(text, dec)}, '.', 1)`;
  const digits = `CASE WHEN ${whole} IN ('', '+', '-') THEN '0' ELSE ${whole} END`;
  const value = `CASE WHEN ${isInteger} THEN try_cast(${digits} AS BIGINT) END`;
  const reason =
    `CASE WHEN NOT ${isInteger} THEN ${numberFailureSql("not an integer", text, dec)} ` +
    `WHEN try_cast(${digits} AS BIGINT) IS NULL THEN 'outside the 64-bit integer range' END`;
  return { value, reason };
}

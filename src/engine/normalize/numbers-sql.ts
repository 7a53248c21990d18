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
  const grp = sqlString(groupSeparator(dec));
  const noGroups = `CASE WHEN contains(${text}, ${grp}) THEN replace(${text}, ${grp}, '') ELSE ${text} END`;
  return dec === "." ? noGroups : `replace(${noGroups}, ',', '.')`;
}

/** SQL of the failure reason `base`, with the decimal-separator hint when the other separator occurs in `text`. */
export function numberFailureSql(base: string, text: string, dec: string): string {
  const hinted = `${base} (source.options.decimal_separator is "${dec}")`;
  return `CASE WHEN contains(${text}, ${sqlString(groupSeparator(dec))}) THEN ${sqlString(hinted)} ELSE ${sqlString(base)} END`;
}

/**
 * How one column type is cast, in two steps so each pattern runs once per cell: `parse` (over the
 * non-null cell text `t`) gives an intermediate `p`; `value` (over `p`) the typed value, NULL when
 * the cell is bad. A bad cell's reason is `shaped` when `shape` (over `p`) holds, else `failure`
 * (over `t`).
 */
export interface CastSql {
  readonly parse: (t: string) => string;
  readonly value: (p: string) => string;
  readonly shape: (p: string) => string;
  readonly failure: (t: string) => string;
  readonly shaped: string;
}

/** SQL casting to DOUBLE exactly like `parseDouble` (overflow becomes ±Infinity, as `Number()` does). */
export function doubleSql(dec: string): CastSql {
  return {
    parse: (t) =>
      `CASE WHEN regexp_full_match(${t}, ${sqlString(doublePattern(dec))}) ` +
      `THEN coalesce(try_cast(${cleanNumber(t, dec)} AS DOUBLE), CASE WHEN starts_with(${t}, '-') THEN '-inf'::DOUBLE ELSE 'inf'::DOUBLE END) ` +
      `WHEN regexp_full_match(${t}, ${sqlString(NAN_RE)}) THEN 'nan'::DOUBLE ` +
      `WHEN regexp_full_match(${t}, ${sqlString(POS_INF_RE)}) THEN 'inf'::DOUBLE ` +
      `WHEN regexp_full_match(${t}, ${sqlString(NEG_INF_RE)}) THEN '-inf'::DOUBLE END`,
    value: (p) => p,
    shape: () => "false",
    failure: (t) => numberFailureSql("not a number", t, dec),
    shaped: "NULL",
  };
}

/** SQL casting to BIGINT exactly like `parseInteger` (thousands groups, an all-zero fraction). */
export function integerSql(dec: string): CastSql {
  return {
    parse: (t) => {
      const whole = `split_part(${cleanNumber(t, dec)}, '.', 1)`;
      return `CASE WHEN regexp_full_match(${t}, ${sqlString(integerPattern(dec))}) THEN CASE WHEN ${whole} IN ('', '+', '-') THEN '0' ELSE ${whole} END END`;
    },
    value: (p) => `try_cast(${p} AS BIGINT)`,
    shape: (p) => `${p} IS NOT NULL`,
    failure: (t) => numberFailureSql("not an integer", t, dec),
    shaped: "'outside the 64-bit integer range'",
  };
}

/** Groups of a cleaned number: 1 sign, 2 integer digits, 3 fraction digits, 4 exponent. */
const DECIMAL_PARTS = "^([+-]?)([0-9]*)(?:\\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?$";

/**
 * SQL keeping an exact decimal as canonical text exactly like `parseDecimal`: "-" only for non-zero
 * negatives, no "+" or thousands separators, "." as the point, no leading zeros (but "0.5"), no
 * trailing fractional zeros, exponents expanded; more than 10,000 places from the point is not a number.
 */
export function decimalSql(dec: string): CastSql {
  const part = (p: string, name: string) => `struct_extract(${p}, '${name}')`;
  return {
    parse: (t) => `CASE WHEN regexp_full_match(${t}, ${sqlString(doublePattern(dec))}) THEN regexp_extract(${cleanNumber(t, dec)}, ${sqlString(DECIMAL_PARTS)}, ['s', 'i', 'f', 'e']) END`,
    value: (p) => {
      const exp = `CASE WHEN ${part(p, "e")} = '' THEN 0 ELSE coalesce(try_cast(${part(p, "e")} AS INTEGER), 1000000000) END`;
      const point = `(length(${part(p, "i")}) + ${exp})`;
      const all = `(${part(p, "i")} || ${part(p, "f")})`;
      const lead = `(length(${all}) - length(ltrim(${all}, '0')))`;
      const digits = `rtrim(ltrim(${all}, '0'), '0')`;
      const at = `(${point} - ${lead})`;
      const text =
        `CASE WHEN ${at} <= 0 THEN '0.' || repeat('0', -${at}) || ${digits} ` +
        `WHEN ${at} >= length(${digits}) THEN ${digits} || repeat('0', ${at} - length(${digits})) ` +
        `ELSE left(${digits}, ${at}) || '.' || substr(${digits}, ${at} + 1) END`;
      return `CASE WHEN ${p} IS NULL OR abs(${point}) > 10000 THEN NULL WHEN ${digits} = '' THEN '0' ELSE CASE WHEN ${part(p, "s")} = '-' THEN '-' ELSE '' END || ${text} END`;
    },
    shape: () => "false",
    failure: (t) => numberFailureSql("not a decimal number", t, dec),
    shaped: "NULL",
  };
}

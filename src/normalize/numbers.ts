/**
 * Number parsing over bytes: plain decimal notation with an optional sign,
 * thousands separators in valid 3-digit groups (the separator is whichever of
 * "." and "," is not the decimal separator) and, for doubles and decimals, an
 * exponent. Doubles take Clinger's exact fast path (≤15 significant digits,
 * |exponent| ≤ 22) and fall back to `Number()` only beyond it.
 */

/** What {@link scanNumber} found. */
export interface NumberScan {
  neg: boolean;
  /** First 15 significant digits as an integer. */
  mant: number;
  /** Significant digits seen (beyond 15 they are not in `mant`). */
  sig: number;
  /** Power of ten to apply to `mant`. */
  exp10: number;
  /** Digits after the decimal separator (non-zero ones) were present. */
  fraction: boolean;
  /** The text had an exponent. */
  hasExp: boolean;
  /** A thousands separator was present. */
  grouped: boolean;
}

const scan: NumberScan = { neg: false, mant: 0, sig: 0, exp10: 0, fraction: false, hasExp: false, grouped: false };
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * Validates `buf[s, e)` as a number with decimal separator `dec` (char code).
 * Returns the shared scan result, or null when the text is not a number.
 */
export function scanNumber(buf: Uint8Array, s: number, e: number, dec: number, allowExp: boolean): NumberScan | null {
  const grp = dec === 46 ? 44 : 46;
  let i = s;
  let neg = false;
  if (i < e && (buf[i] === 45 || buf[i] === 43)) {
    neg = buf[i] === 45;
    i++;
  }
  let mant = 0;
  let sig = 0;
  let exp10 = 0;
  let intDigits = 0;
  let groupLen = -1;
  let grouped = false;
  for (; i < e; i++) {
    const c = buf[i];
    if (c >= 48 && c <= 57) {
      intDigits++;
      if (groupLen >= 0) groupLen++;
      if (sig > 0 || c !== 48) {
        if (sig < 15) mant = mant * 10 + (c - 48);
        else exp10++;
        sig++;
      }
    } else if (c === grp) {
      if (groupLen >= 0 ? groupLen !== 3 : intDigits === 0 || intDigits > 3) return null;
      groupLen = 0;
      grouped = true;
    } else break;
  }
  if (groupLen >= 0 && groupLen !== 3) return null;
  let fracDigits = 0;
  let fraction = false;
  if (i < e && buf[i] === dec) {
    for (i++; i < e; i++) {
      const c = buf[i];
      if (c < 48 || c > 57) break;
      fracDigits++;
      if (c !== 48) fraction = true;
      if (sig > 0 || c !== 48) {
        if (sig < 15) {
          mant = mant * 10 + (c - 48);
          exp10--;
        }
        sig++;
      } else exp10--;
    }
  }
  if (intDigits === 0 && fracDigits === 0) return null;
  let hasExp = false;
  if (i < e && (buf[i] === 101 || buf[i] === 69)) {
    if (!allowExp) return null;
    i++;
    let eneg = false;
    if (i < e && (buf[i] === 45 || buf[i] === 43)) {
      eneg = buf[i] === 45;
      i++;
    }
    let ev = 0;
    const from = i;
    for (; i < e && buf[i] >= 48 && buf[i] <= 57; i++) if (ev < 100000) ev = ev * 10 + (buf[i] - 48);
    if (i === from) return null;
    exp10 += eneg ? -ev : ev;
    hasExp = true;
  }
  if (i !== e) return null;
  scan.neg = neg;
  scan.mant = mant;
  scan.sig = sig;
  scan.exp10 = exp10;
  scan.fraction = fraction;
  scan.hasExp = hasExp;
  scan.grouped = grouped;
  return scan;
}

function cleanText(buf: Uint8Array, s: number, e: number, dec: number): string {
  const grp = dec === 46 ? 44 : 46;
  let out = "";
  for (let i = s; i < e; i++) {
    const c = buf[i];
    if (c === grp) continue;
    out += c === dec ? "." : String.fromCharCode(c);
  }
  return out;
}

function special(buf: Uint8Array, s: number, e: number): number | undefined {
  const len = e - s;
  if (len < 3 || len > 9) return undefined;
  let text = "";
  for (let i = s; i < e; i++) text += String.fromCharCode(buf[i] | 0x20);
  if (text === "nan") return NaN;
  if (text === "inf" || text === "+inf" || text === "infinity" || text === "+infinity") return Infinity;
  if (text === "-inf" || text === "-infinity") return -Infinity;
  return undefined;
}

/** Parses a double; NaN/Inf spelled out are accepted. Returns undefined when not a number. */
export function parseDouble(buf: Uint8Array, s: number, e: number, dec: number): number | undefined {
  const r = scanNumber(buf, s, e, dec, true);
  if (r === null) return special(buf, s, e);
  if (r.sig > 15 || r.exp10 < -22 || r.exp10 > 22) return Number(cleanText(buf, s, e, dec));
  const v = r.exp10 >= 0 ? r.mant * POW10[r.exp10] : r.mant / POW10[-r.exp10];
  return r.neg ? -v : v;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * Parses an integer (thousands separators and an all-zero fraction allowed).
 * Returns a number when safe, a bigint for larger magnitudes within Int64,
 * "range" when outside Int64, or undefined when not an integer.
 */
export function parseInteger(buf: Uint8Array, s: number, e: number, dec: number): number | bigint | "range" | undefined {
  const r = scanNumber(buf, s, e, dec, false);
  if (r === null || r.fraction) return undefined;
  if (r.sig <= 15) {
    const v = r.exp10 >= 0 ? r.mant * POW10[r.exp10] : r.mant / POW10[-r.exp10];
    return r.neg && v !== 0 ? -v : v;
  }
  let digits = cleanText(buf, s, e, dec);
  const dot = digits.indexOf(".");
  if (dot >= 0) digits = digits.slice(0, dot);
  const big = BigInt(digits);
  return big > INT64_MAX || big < INT64_MIN ? "range" : big;
}

/**
 * Canonical text of an exact decimal: "-" only for non-zero negatives, no "+",
 * no thousands separators, "." as decimal point, no leading zeros (but "0.5"),
 * no trailing fractional zeros, exponents expanded. Undefined when not a number.
 */
export function parseDecimal(buf: Uint8Array, s: number, e: number, dec: number): string | undefined {
  const r = scanNumber(buf, s, e, dec, true);
  if (r === null) return undefined;
  const neg = r.neg;
  const text = cleanText(buf, s, e, dec).replace(/^[+-]/, "");
  const m = /^(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text)!;
  let digits = (m[1] ?? "") + (m[2] ?? "");
  let point = (m[1] ?? "").length + Number(m[3] ?? 0);
  if (Math.abs(point) > 10000) return undefined;
  const lead = /^0*/.exec(digits)![0].length;
  digits = digits.slice(lead);
  point -= lead;
  digits = digits.replace(/0+$/, "");
  if (digits === "") return "0";
  let out: string;
  if (point <= 0) out = "0." + "0".repeat(-point) + digits;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = digits.slice(0, point) + "." + digits.slice(point);
  return neg ? "-" + out : out;
}

/** A number cast failure, hinting at the decimal separator when the other one occurs. */
export function numberFailure(base: string, buf: Uint8Array, s: number, e: number, dec: number): string {
  const other = dec === 46 ? 44 : 46;
  for (let i = s; i < e; i++) {
    if (buf[i] === other) return `${base} (source.options.decimal_separator is "${String.fromCharCode(dec)}")`;
  }
  return base;
}

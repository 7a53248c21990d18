/**
 * Hand-written date and timestamp parsing over bytes. A pattern such as
 * "DD/MM/YYYY" or "YYYY-MM-DD HH:mm:ss.SSS" is compiled once; parsing then walks
 * the bytes without creating strings or Date objects and rejects impossible
 * calendar dates (2025-02-30).
 */

/** Result slot of the parsers: calendar day since 1970-01-01 and microseconds into that day. */
export interface DateTimeParts {
  days: number;
  micros: number;
  /** Set when the text had the right shape but named no real date or time (2025-02-30, 24:00). */
  impossible?: boolean;
}

const enum Field {
  Year,
  Month,
  Day,
  Hour,
  Minute,
  Second,
  Fraction,
}

interface Token {
  readonly field: Field | -1;
  readonly min: number;
  readonly max: number;
  readonly literal: number;
}

/** A compiled date/timestamp pattern. */
export interface DatePattern {
  readonly source: string;
  readonly tokens: readonly Token[];
  readonly hasTime: boolean;
}

const TOKENS: readonly [string, Field, number, number][] = [
  ["YYYY", Field.Year, 4, 4],
  ["MM", Field.Month, 2, 2],
  ["M", Field.Month, 1, 2],
  ["DD", Field.Day, 2, 2],
  ["D", Field.Day, 1, 2],
  ["HH", Field.Hour, 2, 2],
  ["H", Field.Hour, 1, 2],
  ["mm", Field.Minute, 2, 2],
  ["ss", Field.Second, 2, 2],
];

/**
 * Compiles a pattern made of YYYY, MM, M, DD, D, HH, H, mm, ss, S…S (fraction of a
 * second, 1–9 digits) and literal characters. Without DD/D the day is the 1st;
 * without MM/M the month is January. Returns an error sentence fragment instead
 * of a pattern when the pattern is unusable.
 */
export function compileDatePattern(pattern: string): DatePattern | string {
  const tokens: Token[] = [];
  const seen = new Set<Field>();
  let i = 0;
  while (i < pattern.length) {
    if (pattern[i] === "S") {
      let j = i;
      while (pattern[j] === "S") j++;
      if (j - i > 9) return "has more than 9 S (fraction digits)";
      tokens.push({ field: Field.Fraction, min: j - i, max: j - i, literal: 0 });
      seen.add(Field.Fraction);
      i = j;
      continue;
    }
    const hit = TOKENS.find(([t]) => pattern.startsWith(t, i));
    if (hit !== undefined) {
      if (seen.has(hit[1])) return `repeats the field "${hit[0]}"`;
      seen.add(hit[1]);
      tokens.push({ field: hit[1], min: hit[2], max: hit[3], literal: 0 });
      i += hit[0].length;
      continue;
    }
    const code = pattern.charCodeAt(i);
    if (code > 0x7f) return "may only contain ASCII characters";
    if (code >= 0x30 && code <= 0x39) return "may not contain digits";
    if (/[A-Za-z]/.test(pattern[i]) && pattern[i] !== "T" && pattern[i] !== "Z") return `uses "${pattern[i]}", which is not a pattern token`;
    tokens.push({ field: -1, min: 1, max: 1, literal: code });
    i++;
  }
  if (!seen.has(Field.Year)) return "must contain YYYY";
  if (seen.has(Field.Day) && !seen.has(Field.Month)) return "has a day (DD) but no month (MM)";
  if (seen.has(Field.Second) && !seen.has(Field.Minute)) return "has seconds (ss) but no minutes (mm)";
  if (seen.has(Field.Minute) && !seen.has(Field.Hour)) return "has minutes (mm) but no hour (HH)";
  const hasTime = seen.has(Field.Hour);
  return { source: pattern, tokens, hasTime };
}

/** Days from 1970-01-01 to a proleptic Gregorian date (month 1–12). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** yyyy*100+mm of a day number (days since 1970-01-01). */
export function monthOfDays(days: number): number {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return y * 100 + m;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function finish(out: DateTimeParts, y: number, mo: number, d: number, h: number, mi: number, sec: number, us: number): boolean {
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) {
    out.impossible = true;
    return false;
  }
  out.days = daysFromCivil(y, mo, d);
  out.micros = ((h * 60 + mi) * 60 + sec) * 1_000_000 + us;
  return true;
}

/** Parses `buf[start, end)` with a compiled pattern into `out`; false when it does not match or is no real date. */
export function parseWithPattern(p: DatePattern, buf: Uint8Array, start: number, end: number, out: DateTimeParts): boolean {
  const v = [1970, 1, 1, 0, 0, 0, 0];
  let pos = start;
  for (const t of p.tokens) {
    if (t.field === -1) {
      if (pos >= end || buf[pos] !== t.literal) return false;
      pos++;
      continue;
    }
    let n = 0;
    let len = 0;
    while (len < t.max && pos < end) {
      const c = buf[pos] - 48;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
      pos++;
      len++;
    }
    if (len < t.min) return false;
    if (t.field === Field.Fraction) n = len >= 6 ? Math.floor(n / 10 ** (len - 6)) : n * 10 ** (6 - len);
    v[t.field] = n;
  }
  return pos === end && finish(out, v[0], v[1], v[2], v[3], v[4], v[5], v[6]);
}

function digits(buf: Uint8Array, pos: number, count: number, end: number): number {
  if (pos + count > end) return -1;
  let n = 0;
  for (let i = 0; i < count; i++) {
    const c = buf[pos + i] - 48;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Parses a strict ISO date `YYYY-MM-DD`. */
export function parseIsoDate(buf: Uint8Array, start: number, end: number, out: DateTimeParts): boolean {
  if (end - start !== 10 || buf[start + 4] !== 45 || buf[start + 7] !== 45) return false;
  const y0 = buf[start] - 48;
  const y1 = buf[start + 1] - 48;
  const y2 = buf[start + 2] - 48;
  const y3 = buf[start + 3] - 48;
  const m0 = buf[start + 5] - 48;
  const m1 = buf[start + 6] - 48;
  const d0 = buf[start + 8] - 48;
  const d1 = buf[start + 9] - 48;
  if (y0 >>> 0 > 9 || y1 >>> 0 > 9 || y2 >>> 0 > 9 || y3 >>> 0 > 9 || m0 >>> 0 > 9 || m1 >>> 0 > 9 || d0 >>> 0 > 9 || d1 >>> 0 > 9) return false;
  const ym = (y0 * 1000 + y1 * 100 + y2 * 10 + y3) * 100 + m0 * 10 + m1;
  const d = d0 * 10 + d1;
  if (ym === lastMonth && d >= 1 && d <= lastMonthDays) {
    out.days = lastMonthStart + d - 1;
    out.micros = 0;
    return true;
  }
  if (!finish(out, Math.floor(ym / 100), ym % 100, d, 0, 0, 0, 0)) return false;
  lastMonth = ym;
  lastMonthStart = out.days - d + 1;
  lastMonthDays = daysInMonth(Math.floor(ym / 100), ym % 100);
  return true;
}

let lastMonth = -1;
let lastMonthStart = 0;
let lastMonthDays = 0;

/**
 * Parses ISO 8601 timestamps: `YYYY-MM-DD`, optionally followed by `T` or a space,
 * `HH:mm[:ss[.fraction]]` and `Z` or `±HH[:]mm`. No offset means UTC.
 */
export function parseIsoTimestamp(buf: Uint8Array, start: number, end: number, out: DateTimeParts): boolean {
  if (end - start < 10 || !parseIsoDate(buf, start, start + 10, out)) return false;
  if (end - start === 10) return true;
  const sep = buf[start + 10];
  if (sep !== 84 && sep !== 32 && sep !== 116) return false;
  let pos = start + 11;
  const h = digits(buf, pos, 2, end);
  if (h < 0 || buf[pos + 2] !== 58) return false;
  const mi = digits(buf, pos + 3, 2, end);
  if (mi < 0) return false;
  pos += 5;
  let sec = 0;
  let us = 0;
  if (pos < end && buf[pos] === 58) {
    sec = digits(buf, pos + 1, 2, end);
    if (sec < 0) return false;
    pos += 3;
    if (pos < end && (buf[pos] === 46 || buf[pos] === 44)) {
      pos++;
      let scale = 100_000;
      const from = pos;
      while (pos < end && buf[pos] >= 48 && buf[pos] <= 57) {
        us += (buf[pos] - 48) * scale;
        scale /= 10;
        pos++;
      }
      if (pos === from || pos - from > 9) return false;
      us = Math.floor(us);
    }
  }
  let offsetMinutes = 0;
  if (pos < end) {
    const c = buf[pos];
    if ((c === 90 || c === 122) && pos + 1 === end) pos++;
    else if (c === 43 || c === 45) {
      const oh = digits(buf, pos + 1, 2, end);
      const colon = buf[pos + 3] === 58 ? 1 : 0;
      const om = digits(buf, pos + 3 + colon, 2, end);
      if (oh < 0 || om < 0 || oh > 23 || om > 59 || pos + 5 + colon !== end) return false;
      offsetMinutes = (c === 45 ? -1 : 1) * (oh * 60 + om);
      pos = end;
    } else return false;
  }
  if (pos !== end) return false;
  if (h > 23 || mi > 59 || sec > 59) {
    out.impossible = true;
    return false;
  }
  const days = out.days;
  let micros = ((h * 60 + mi - offsetMinutes) * 60 + sec) * 1_000_000 + us;
  const dayMicros = 86_400_000_000;
  const shift = Math.floor(micros / dayMicros);
  micros -= shift * dayMicros;
  out.days = days + shift;
  out.micros = micros;
  return true;
}

/**
 * Byte-level JSON token scanning for the records path's validator (ndjson-validator.ts): the end
 * of a number, string or literal token in a UTF-8 buffer, and a number token's value, without
 * decoding the buffer to a string.
 */

/** Whether `b` is JSON whitespace that can occur inside a line. */
export const ws = (b: number): boolean => b === 32 || b === 9 || b === 13;

/** End of the JSON number starting at `i`, or -1 when it is not one. */
export function numberEnd(buf: Buffer, i: number, end: number): number {
  if (buf[i] === 45) i++;
  if (i >= end) return -1;
  if (buf[i] === 48) i++;
  else if (buf[i] >= 49 && buf[i] <= 57) while (i < end && buf[i] >= 48 && buf[i] <= 57) i++;
  else return -1;
  if (i < end && buf[i] === 46) {
    const from = ++i;
    while (i < end && buf[i] >= 48 && buf[i] <= 57) i++;
    if (i === from) return -1;
  }
  if (i < end && (buf[i] === 101 || buf[i] === 69)) {
    i++;
    if (i < end && (buf[i] === 43 || buf[i] === 45)) i++;
    const from = i;
    while (i < end && buf[i] >= 48 && buf[i] <= 57) i++;
    if (i === from) return -1;
  }
  return i;
}

const isHex = (b: number): boolean => (b >= 48 && b <= 57) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102);

/**
 * Position of the closing quote of the JSON string whose content starts at `i`, as `close` when the
 * string has no escapes and `-close - 2` when it has; -1 when it is not a valid JSON string.
 */
export function stringEnd(buf: Buffer, i: number, end: number): number {
  let escaped = false;
  while (i < end) {
    const b = buf[i];
    if (b > 92 || (b > 34 && b < 92)) {
      i++;
      continue;
    }
    if (b === 34) return escaped ? -i - 2 : i;
    if (b < 32) return -1;
    if (b === 92) {
      escaped = true;
      if (i + 1 >= end) return -1;
      const x = buf[i + 1];
      if (x === 117) {
        if (i + 5 >= end || !isHex(buf[i + 2]) || !isHex(buf[i + 3]) || !isHex(buf[i + 4]) || !isHex(buf[i + 5])) return -1;
        i += 6;
      } else if (x === 34 || x === 92 || x === 47 || x === 98 || x === 102 || x === 110 || x === 114 || x === 116) i += 2;
      else return -1;
    } else i++;
  }
  return -1;
}

export function literal(buf: Buffer, i: number, end: number, word: string): boolean {
  if (i + word.length > end) return false;
  for (let k = 0; k < word.length; k++) if (buf[i + k] !== word.charCodeAt(k)) return false;
  return true;
}

/** The number a JSON number token means (as JSON.parse reads it). */
export function numberAt(buf: Buffer, s: number, e: number): number {
  let i = s;
  const neg = buf[i] === 45;
  if (neg) i++;
  if (e - i <= 15) {
    let v = 0;
    for (; i < e; i++) {
      const d = buf[i] - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === e) return neg ? -v : v;
  }
  return Number(buf.toString("latin1", s, e));
}

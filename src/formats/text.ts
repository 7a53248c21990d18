/** Small text helpers of the CSV and JSON readers. */
import { isUtf8 } from "node:buffer";

/**
 * The content of a quoted field with its escapes resolved: doubled quotes, and
 * with an escape character (char code, or -1 for none) `\"` and `\\` too.
 */
export function unescapeQuoted(raw: string, quote: number, escape: number): string {
  const q = String.fromCharCode(quote);
  if (escape < 0) return raw.replaceAll(q + q, q);
  const esc = String.fromCharCode(escape);
  let out = "";
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if ((ch === esc || ch === q) && i + 1 < raw.length && (raw[i + 1] === q || raw[i + 1] === esc)) out += raw[++i];
    else out += ch;
  }
  return out;
}

/** Offset of the first byte of `buf[0, end)` that does not start a valid UTF-8 sequence. */
export function firstInvalidUtf8(buf: Uint8Array, end: number): number {
  let i = 0;
  while (i < end) {
    const b = buf[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (len === 0 || i + len > end) return i;
    if (len > 1 && !isUtf8(buf.subarray(i, i + len))) return i;
    i += len;
  }
  return end - 1;
}

const BOM = [0xef, 0xbb, 0xbf];

/**
 * `chunks` without a UTF-8 byte order mark at the very start (however the chunks cut it), which
 * Windows tools write before JSON and which is no JSON text.
 */
export async function* withoutUtf8Bom(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const head: number[] = [];
  let decided = false;
  for await (const chunk of chunks) {
    if (decided) {
      yield chunk;
      continue;
    }
    let i = 0;
    while (i < chunk.length && head.length < BOM.length && chunk[i] === BOM[head.length]) head.push(chunk[i++]);
    if (i === chunk.length && head.length < BOM.length) continue;
    decided = true;
    if (head.length > 0 && head.length < BOM.length) yield Uint8Array.from(head);
    if (i < chunk.length) yield chunk.subarray(i);
  }
  if (!decided && head.length > 0) yield Uint8Array.from(head);
}

import { hashToHex, hexToHash } from "../../src/hash";
import { KeyIndex } from "../../src/delta";

/** A 32-digit hash made of one repeated byte: h(1) = "0101…01". */
export function h(byte: number): string {
  return byte.toString(16).padStart(2, "0").repeat(16);
}

/** Source rows as [keyHex, rowHex, month]. */
export type Row = [string, string, number];

/** The hashed-source arrays of `rows`. */
export function source(rows: Row[]): { keyHashes: Uint32Array; rowHashes: Uint32Array; months: Int32Array; rowCount: number } {
  const keyHashes = new Uint32Array(rows.length * 4);
  const rowHashes = new Uint32Array(rows.length * 4);
  const months = new Int32Array(rows.length);
  rows.forEach(([k, r, m], i) => {
    hexToHash(k, keyHashes, i);
    hexToHash(r, rowHashes, i);
    months[i] = m;
  });
  return { keyHashes, rowHashes, months, rowCount: rows.length };
}

/** A key index holding `entries` ([keyHex, rowHex, month]). */
export function index(entries: Row[]): KeyIndex {
  const idx = new KeyIndex();
  const s = source(entries);
  for (let i = 0; i < entries.length; i++) idx.set(s.keyHashes, i * 4, s.rowHashes, i * 4, s.months[i]);
  return idx;
}

/** The entries of an index in its export (key) order. */
export function entries(idx: KeyIndex): Row[] {
  const out: Row[] = [];
  for (const c of idx.chunks()) for (let i = 0; i < c.length; i++) out.push([hashToHex(c.keyHashes, i), hashToHex(c.rowHashes, i), c.months[i]]);
  return out;
}

/** Hex list of a word array of hashes. */
export function hexList(words: Uint32Array): string[] {
  return Array.from({ length: words.length / 4 }, (_, i) => hashToHex(words, i));
}


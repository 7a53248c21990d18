import {
  Bool,
  type DataType,
  DateDay,
  Dictionary,
  Float64,
  Int32,
  Int64,
  LargeUtf8,
  RecordBatch,
  Table,
  TimestampMicrosecond,
  Utf8,
  makeData,
  makeVector,
  tableFromArrays,
  vectorFromArray,
} from "apache-arrow";
import { describe, expect, it } from "vitest";
import { UnsupportedColumnError, encodeRow, hashColumns, hashToHex } from "../../src/hash";

function bitmap(valid: boolean[]): Uint8Array {
  const bits = new Uint8Array((valid.length + 7) >> 3);
  valid.forEach((v, i) => {
    if (v) bits[i >> 3] |= 1 << (i & 7);
  });
  return bits;
}

function fixed<T extends DataType>(type: T, data: ArrayBufferView, valid: boolean[]) {
  const nullCount = valid.filter((v) => !v).length;
  return makeVector(makeData({ type, length: valid.length, nullCount, nullBitmap: nullCount ? bitmap(valid) : undefined, data } as never));
}

const ALL = [true, true, true, true];
const strings = ["A", null, "Zürich", ""];

function fixture(): Table {
  return new Table({
    s: vectorFromArray(strings, new Utf8()),
    d: vectorFromArray(strings, new Dictionary(new Utf8(), new Int32())),
    i: fixed(new Int64(), new BigInt64Array([1n, -2n, 0n, 2n ** 40n]), [true, true, false, true]),
    f: fixed(new Float64(), new Float64Array([1.5, -0, NaN, 0]), [true, true, true, false]),
    b: fixed(new Bool(), bitmap([true, false, false, true]), [true, true, false, true]),
    dt: fixed(new DateDay(), new Int32Array([0, 20089, -1, 0]), [true, true, true, false]),
    ts: fixed(new TimestampMicrosecond("UTC"), new BigInt64Array([0n, 1735689600000000n, 0n, -1n]), [true, true, false, true]),
  });
}

const COLUMNS = ["s", "i", "f", "b", "dt", "ts"];

/** Encodings written out by hand from docs/hashing.md. */
const ENCODED = [
  "0101000000" + "41" + "020100000000000000" + "03000000000000f83f" + "0401" + "0500000000" + "060000000000000000",
  "00" + "02feffffffffffffff" + "030000000000000000" + "0400" + "05794e0000" + "0600600cba992a0600",
  "0107000000" + "5ac3bc72696368" + "00" + "03000000000000f87f" + "00" + "05ffffffff" + "00",
  "0100000000" + "020000000000010000" + "00" + "0401" + "00" + "06ffffffffffffffff",
];

/** mmh3.hash_bytes(bytes.fromhex(ENCODED[r]), 0, x64arch=False).hex() */
const HASHES = [
  "fe97c3ded9b43112dfd13237b4ad77fc",
  "11a54bb70f8af67d60a0cfbb80ee4f7e",
  "ba6c1099b9ad54c9b324f9d9e03451b5",
  "63dbf3541bdf36e1a55a8c70968ecee7",
];

function hexes(words: Uint32Array): string[] {
  return Array.from({ length: words.length / 4 }, (_, r) => hashToHex(words, r));
}

describe("encodeRow", () => {
  it.each([0, 1, 2, 3])("encodes row %i exactly as documented", (row) => {
    expect(Buffer.from(encodeRow(fixture(), COLUMNS, row)).toString("hex")).toBe(ENCODED[row]);
  });

  it("encodes a dictionary column like the plain string column", () => {
    const t = fixture();
    for (let r = 0; r < 4; r++) expect(encodeRow(t, ["d"], r)).toEqual(encodeRow(t, ["s"], r));
  });
});

describe("hashColumns", () => {
  it("returns MurmurHash3 x86_128 of the canonical encoding, 4 words per row", () => {
    const words = hashColumns(fixture(), COLUMNS);
    expect(words).toBeInstanceOf(Uint32Array);
    expect(words.length).toBe(16);
    expect(hexes(words)).toEqual(HASHES);
  });

  it("writes into a caller-provided array", () => {
    const out = new Uint32Array(20);
    expect(hashColumns(fixture(), COLUMNS, out)).toBe(out);
    expect(hexes(out.subarray(0, 16))).toEqual(HASHES);
    expect(() => hashColumns(fixture(), COLUMNS, new Uint32Array(15))).toThrow(RangeError);
  });

  it("hashes string keys the same whether or not they are dictionary-encoded", () => {
    const t = fixture();
    expect(hexes(hashColumns(t, ["d", "dt"]))).toEqual(hexes(hashColumns(t, ["s", "dt"])));
    expect(hashToHex(hashColumns(t, ["s", "dt"]), 0)).toBe("3e6318450181325c0845616208456162"); // mmh3 of 0101000000 41 0500000000
    expect(hashToHex(hashColumns(t, ["s", "dt"]), 3)).toBe("01a1b44c45074b0e45074b0e45074b0e"); // mmh3 of 0100000000 00
  });

  it("encodes LargeUtf8 and dictionaries with null entries like plain strings", () => {
    const values = ["x", null, "yz"];
    const dictionary = vectorFromArray(["x", null, "yz"], new Utf8());
    const dict = makeVector(makeData({ type: new Dictionary(new Utf8(), new Int32()), length: 3, nullCount: 0, data: new Int32Array([0, 1, 2]), dictionary }));
    const t = new Table({ plain: vectorFromArray(values, new Utf8()), large: vectorFromArray(values, new LargeUtf8()), dict });
    const plain = hexes(hashColumns(t, ["plain"]));
    expect(hexes(hashColumns(t, ["large"]))).toEqual(plain);
    expect(hexes(hashColumns(t, ["dict"]))).toEqual(plain);
  });

  it("canonicalizes -0 to 0 and every NaN to one NaN", () => {
    const raw = new Float64Array(4);
    const view = new DataView(raw.buffer);
    view.setFloat64(0, 0, true);
    view.setFloat64(8, -0, true);
    view.setBigUint64(16, 0x7ff8000000000001n, true);
    view.setBigUint64(24, 0xfff0000000000abcn, true);
    const h = hexes(hashColumns(new Table({ f: fixed(new Float64(), raw, ALL) }), ["f"]));
    expect(h[1]).toBe(h[0]);
    expect(h[3]).toBe(h[2]);
    expect(h[2]).not.toBe(h[0]);
  });

  it("keeps null, empty and zero apart, and fields apart from their neighbours", () => {
    const t = tableFromArrays({ a: ["ab", "a", "", "x"], b: ["c", "bc", "", "y"] });
    const withNull = new Table({ s: vectorFromArray([null, ""], new Utf8()) });
    const h = hexes(hashColumns(t, ["a", "b"]));
    expect(new Set(h).size).toBe(4);
    const n = hexes(hashColumns(withNull, ["s"]));
    expect(n[0]).not.toBe(n[1]);
    const ints = hexes(hashColumns(new Table({ i: fixed(new Int64(), new BigInt64Array([0n, 0n]), [false, true]) }), ["i"]));
    expect(ints[0]).not.toBe(ints[1]);
  });

  it("depends on column order", () => {
    const t = fixture();
    expect(hashToHex(hashColumns(t, ["s", "dt"]), 0)).not.toBe(hashToHex(hashColumns(t, ["dt", "s"]), 0));
  });

  it("gives the same hashes across record batches and slices", () => {
    const t = fixture();
    const whole = hexes(hashColumns(t, COLUMNS));
    const split = new Table([t.slice(0, 1).batches[0], t.slice(1, 3).batches[0], t.slice(3).batches[0]].map((b) => new RecordBatch(b.schema, b.data)));
    expect(split.batches.length).toBe(3);
    expect(hexes(hashColumns(split, COLUMNS))).toEqual(whole);
    expect(hexes(hashColumns(t.slice(1, 3), COLUMNS))).toEqual(whole.slice(1, 3));
    expect(hexes(hashColumns(t.batches[0], COLUMNS))).toEqual(whole);
  });

  it("hashes an empty column list to all-zero words and an empty table to nothing", () => {
    expect(Array.from(hashColumns(fixture(), []))).toEqual(new Array(16).fill(0));
    expect(hashColumns(fixture().slice(0, 0), COLUMNS).length).toBe(0);
  });

  it("rejects missing columns and types outside the normalized set", () => {
    const t = new Table({ n: vectorFromArray([1, 2], new Int32()) });
    expect(() => hashColumns(t, ["n"])).toThrow(UnsupportedColumnError);
    expect(() => hashColumns(t, ["n"])).toThrow(/Int32.*normalize it to/);
    expect(() => hashColumns(t, ["zz"])).toThrow(/Column "zz" is not in the table \(columns: n\)/);
  });
});

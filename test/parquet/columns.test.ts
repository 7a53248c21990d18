import { describe, expect, it } from "vitest";
import {
  Validity,
  boolColumn,
  date32Column,
  dictUtf8Column,
  fixedBinaryColumn,
  float64Column,
  int64Column,
  tableFrom,
  timestampColumn,
  utf8Column,
} from "../../src/parquet";

function utf8Bytes(values: (string | null)[]): { offsets: Int32Array; bytes: Uint8Array } {
  const data = utf8Column(values).data[0];
  return { offsets: data.valueOffsets, bytes: data.values };
}

describe("Validity", () => {
  it("starts all-valid with zeroed padding bits and counts nulls once", () => {
    const v = new Validity(10);
    expect(Array.from(v.bits)).toEqual([0xff, 0x03]);
    v.setNull(3);
    v.setNull(3);
    v.setNull(9);
    expect(v.nullCount).toBe(2);
    expect(v.isValid(3)).toBe(false);
    expect(v.isValid(4)).toBe(true);
    expect(Array.from(v.bits)).toEqual([0xf7, 0x01]);
  });

  it("builds from a predicate or from nullable values", () => {
    expect(Validity.from(4, (i) => i % 2 === 1).nullCount).toBe(2);
    const v = Validity.ofNullable([1, null, undefined, 0]);
    expect([0, 1, 2, 3].map((i) => v.isValid(i))).toEqual([true, false, false, true]);
  });

  it("must match the column length", () => {
    const v = Validity.from(3, (i) => i === 0);
    expect(() => float64Column(new Float64Array(4), v)).toThrow(RangeError);
  });
});

describe("utf8Column", () => {
  it("encodes ASCII with Int32 offsets and no bitmap when there are no nulls", () => {
    const col = utf8Column(["a", "", "bcd"]);
    const data = col.data[0];
    expect(String(col.type)).toBe("Utf8");
    expect(data.valueOffsets).toBeInstanceOf(Int32Array);
    expect(Array.from(data.valueOffsets)).toEqual([0, 1, 1, 4]);
    expect(Buffer.from(data.values).toString()).toBe("abcd");
    expect(data.nullCount).toBe(0);
    expect(data.nullBitmap?.length ?? 0).toBe(0);
    expect(col.toArray()).toEqual(["a", "", "bcd"]);
  });

  it("marks null and undefined as nulls", () => {
    const col = utf8Column(["x", null, undefined, "y"]);
    expect(col.nullCount).toBe(2);
    expect([0, 1, 2, 3].map((i) => col.get(i))).toEqual(["x", null, null, "y"]);
    expect(Array.from(col.data[0].valueOffsets)).toEqual([0, 1, 1, 1, 2]);
  });

  it("handles empty input", () => {
    const col = utf8Column([]);
    expect(col.length).toBe(0);
    expect(Array.from(col.data[0].valueOffsets)).toEqual([0]);
  });

  it("encodes multi-byte characters with UTF-8 byte offsets", () => {
    const values = ["ü", "€uro", "😀", "ascii", "日本語", "Ω😀ß"];
    const { offsets, bytes } = utf8Bytes(values);
    const expected = values.map((s) => Buffer.byteLength(s));
    expect(Array.from(offsets.subarray(1)).map((o, i) => o - offsets[i])).toEqual(expected);
    expect(Buffer.from(bytes).toString()).toBe(values.join(""));
    expect(utf8Column(values).toArray()).toEqual(values);
  });

  it("replaces lone surrogates per value, even when neighbours would pair up", () => {
    const col = utf8Column(["\uD83D", "\uDE00", "ok\uD800"]);
    expect(col.toArray()).toEqual(["\uFFFD", "\uFFFD", "ok\uFFFD"]);
  });

  it("handles large strings and many values", () => {
    const big = "é".repeat(1 << 20);
    const many = Array.from({ length: 100_000 }, (_, i) => (i % 3 === 0 ? null : `key-${i}`));
    const col = utf8Column([big, ...many]);
    expect(col.get(0)).toBe(big);
    expect(col.data[0].valueOffsets[1]).toBe(2 << 20);
    expect(col.get(99_999)).toBe("key-99998");
    expect(col.get(100_000)).toBeNull();
    expect(col.get(1)).toBeNull();
    expect(col.nullCount).toBe(33_334);
  });
});

describe("dictUtf8Column", () => {
  it("stores each distinct value once with Int32 indices", () => {
    const col = dictUtf8Column(["DE", "FR", "DE", null, "FR", "IT", "DE"]);
    const data = col.data[0];
    expect(String(col.type)).toBe("Dictionary<Int32, Utf8>");
    expect(data.values).toBeInstanceOf(Int32Array);
    expect(data.dictionary?.toArray()).toEqual(["DE", "FR", "IT"]);
    expect(Array.from(data.values as Int32Array)).toEqual([0, 1, 0, 0, 1, 2, 0]);
    expect(col.nullCount).toBe(1);
    expect(col.toArray()).toEqual(["DE", "FR", "DE", null, "FR", "IT", "DE"]);
  });

  it("handles empty input and unicode", () => {
    expect(dictUtf8Column([]).length).toBe(0);
    expect(dictUtf8Column(["ü", "😀", "ü"]).toArray()).toEqual(["ü", "😀", "ü"]);
  });
});

describe("numeric, temporal and binary columns", () => {
  it("int64 from BigInt64Array or safe-integer numbers", () => {
    const v = Validity.from(3, (i) => i === 1);
    const col = int64Column(BigInt64Array.of(-(2n ** 63n), 0n, 2n ** 63n - 1n), v);
    expect(String(col.type)).toBe("Int64");
    expect(col.toArray()).toEqual(BigInt64Array.of(-(2n ** 63n), 0n, 2n ** 63n - 1n));
    expect([0, 1, 2].map((i) => col.get(i))).toEqual([-(2n ** 63n), null, 2n ** 63n - 1n]);
    expect(int64Column([1, -2, 3]).toArray()).toEqual(BigInt64Array.of(1n, -2n, 3n));
    expect(() => int64Column([1.5])).toThrow(RangeError);
    expect(int64Column([]).length).toBe(0);
  });

  it("float64 keeps NaN and -0 as values; nulls only via validity", () => {
    const col = float64Column(Float64Array.of(Number.NaN, -0, 1.25, 7), Validity.from(4, (i) => i === 3));
    expect(col.nullCount).toBe(1);
    expect(col.get(0)).toBeNaN();
    expect(Object.is(col.get(1), -0)).toBe(true);
    expect(col.get(2)).toBe(1.25);
    expect(col.get(3)).toBeNull();
    expect(float64Column([Number.NaN]).nullCount).toBe(0);
  });

  it("date32 stores days since epoch", () => {
    const col = date32Column(Int32Array.of(0, 19723, -1), Validity.from(3, (i) => i === 2));
    expect(String(col.type)).toBe("Date32<DAY>");
    expect(col.get(1)).toBe(Date.UTC(2024, 0, 1));
    expect(col.get(2)).toBeNull();
    expect(col.data[0].values).toEqual(Int32Array.of(0, 19723, -1));
  });

  it("timestamp is microseconds in UTC", () => {
    const micros = BigInt64Array.of(1706695200123456n, 0n);
    const col = timestampColumn(micros, Validity.from(2, (i) => i === 1));
    expect(String(col.type)).toBe("Timestamp<MICROSECOND, UTC>");
    expect(col.type.timezone).toBe("UTC");
    expect(col.data[0].values).toBe(micros);
    expect(col.get(0)).toBe(1706695200123.456);
    expect(col.get(1)).toBeNull();
  });

  it("bool from booleans or bytes", () => {
    const a = boolColumn([true, false, true, true, false, false, true, false, true]);
    expect(a.toArray()).toEqual([true, false, true, true, false, false, true, false, true]);
    const b = boolColumn(Uint8Array.of(0, 2, 1), Validity.from(3, (i) => i === 0));
    expect([0, 1, 2].map((i) => b.get(i))).toEqual([null, true, true]);
    expect(boolColumn([]).length).toBe(0);
  });

  it("fixed-size binary slices rows of `width` bytes", () => {
    const bytes = Uint8Array.from({ length: 48 }, (_, i) => i);
    const col = fixedBinaryColumn(bytes, 16, Validity.from(3, (i) => i === 1));
    expect(String(col.type)).toBe("FixedSizeBinary[16]");
    expect(col.length).toBe(3);
    expect(Array.from(col.get(2)!)).toEqual(Array.from(bytes.subarray(32, 48)));
    expect(col.get(1)).toBeNull();
    expect(() => fixedBinaryColumn(new Uint8Array(17), 16)).toThrow(RangeError);
    expect(() => fixedBinaryColumn(new Uint8Array(16), 0)).toThrow(RangeError);
  });
});

describe("tableFrom", () => {
  it("keeps column order and rejects ragged or empty input", () => {
    const t = tableFrom({ b: utf8Column(["x", "y"]), a: float64Column([1, 2]) });
    expect(t.schema.fields.map((f) => f.name)).toEqual(["b", "a"]);
    expect(t.numRows).toBe(2);
    expect(t.get(1)?.toJSON()).toEqual({ b: "y", a: 2 });
    expect(() => tableFrom({ a: utf8Column(["x"]), b: float64Column([1, 2]) })).toThrow(/equally long/);
    expect(() => tableFrom({})).toThrow(RangeError);
  });
});

import { describe, expect, it } from "vitest";
import { dictionaryPays } from "../../src/parquet/dictionary";
import { date32Column, decodeParquet, dictUtf8Column, encodeParquet, fixedBinaryColumn, float64Column, int64Column, timestampColumn, utf8Column } from "../../src/parquet";
import { allTypesTable, readRow } from "./fixtures";

const ids = (n: number) => Array.from({ length: n }, (_, i) => `SERIES_${String(i).padStart(5, "0")}`);

describe("dictionaryPays", () => {
  it("keeps dictionaries for repeating strings and for integers, dates, timestamps and dictionary columns", () => {
    expect(dictionaryPays(utf8Column(Array.from({ length: 5000 }, (_, i) => ["insert", "update", null][i % 3])))).toBe(true);
    expect(dictionaryPays(int64Column(Array.from({ length: 3000 }, (_, i) => i)))).toBe(true);
    expect(dictionaryPays(date32Column(new Int32Array(2000).fill(19000)))).toBe(true);
    expect(dictionaryPays(timestampColumn(new BigInt64Array(100).fill(5n)))).toBe(true);
    expect(dictionaryPays(dictUtf8Column(ids(1000)))).toBe(true);
    expect(dictionaryPays(utf8Column([]))).toBe(true);
  });

  it("writes mostly distinct strings, floats and fixed-size binary plain", () => {
    expect(dictionaryPays(utf8Column(ids(2000)))).toBe(false);
    expect(dictionaryPays(float64Column(new Float64Array(1000)))).toBe(false);
    expect(dictionaryPays(fixedBinaryColumn(new Uint8Array(16 * 100), 16))).toBe(false);
  });

  it("samples across every chunk of a chunked column", () => {
    const chunked = utf8Column(ids(300)).concat(utf8Column(new Array<string>(3000).fill("same")));
    expect(chunked.data.length).toBe(2);
    expect(dictionaryPays(chunked)).toBe(true);
    expect(dictionaryPays(utf8Column(new Array<string>(3000).fill("same")).concat(utf8Column(ids(3000))))).toBe(false);
  });
});

describe("encodeParquet with sampled dictionaries", () => {
  it("round-trips every column type", () => {
    const { table, rows } = allTypesTable(40);
    const back = decodeParquet(encodeParquet(table, { dictionary: "sampled" }));
    rows.forEach((row, i) => expect(readRow(back, i)).toEqual(row));
  });
});

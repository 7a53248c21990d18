import { Decimal, type Vector, makeData, makeVector } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../src/definition";
import { normalizeSource } from "../../src/normalize";
import { date32Column, tableFrom, utf8Column } from "../../src/parquet/columns";
import { encodeParquet } from "../../src/parquet/codec";
import { chunked } from "../formats/helpers";

/** An Arrow decimal column of `bits` (128 or 256) from unscaled integers, written as two's complement little-endian words by the test itself. */
function decimalColumn(unscaled: (bigint | null)[], precision: number, scale: number, bits: 128 | 256): Vector {
  const words = bits / 32;
  const values = new Uint32Array(unscaled.length * words);
  unscaled.forEach((u, i) => {
    let v = BigInt.asUintN(bits, u ?? 0n);
    for (let w = 0; w < words; w++, v >>= 32n) values[i * words + w] = Number(v & 0xffffffffn);
  });
  const nullBitmap = new Uint8Array(Math.ceil(unscaled.length / 8));
  unscaled.forEach((u, i) => {
    if (u !== null) nullBitmap[i >> 3] |= 1 << (i & 7);
  });
  return makeVector(makeData({ type: new Decimal(scale, precision, bits), length: unscaled.length, nullCount: unscaled.filter((u) => u === null).length, nullBitmap, data: values }));
}

const definition = parseDefinition(
  `id: t
source: { uri: "file:///x.parquet" }
schema:
  columns:
    - { name: id, type: string }
    - { name: day, type: date }
    - { name: exact, type: decimal, from: d128 }
    - { name: text, type: string, from: d128 }
    - { name: approx, type: double, from: d128 }
    - { name: wide, type: decimal, from: d256 }
    - { name: whole, type: int, from: d2 }
  key: [id]
  partition_by: day
`,
  "t.yaml",
);

describe("Parquet DECIMAL source columns", () => {
  it("reach decimal, string, double and int columns with the value the file holds", async () => {
    const bytes = encodeParquet(
      tableFrom({
        id: utf8Column(["a", "b", "c", "d"]),
        day: date32Column(Int32Array.from([20089, 20089, 20089, 20089])),
        d128: decimalColumn([123456789012345678901234567890n, -5000000000n, 1n, null], 30, 10, 128),
        d256: decimalColumn([-(10n ** 70n) - 5n, 12n, 0n, 10n ** 75n], 76, 2, 256),
        d2: decimalColumn([300n, -100n, 0n, 12300n], 7, 2, 128),
      }),
    );
    const r = await normalizeSource({ definition, input: chunked(bytes, 1000), fileLabel: "s.parquet" });
    expect(r.badRows).toEqual([]);
    expect(r.table.toArray().map((x) => x.toJSON())).toEqual([
      { id: "a", day: 20089 * 86_400_000, exact: "12345678901234567890.123456789", text: "12345678901234567890.1234567890", approx: 12345678901234567890.123456789, wide: `-1${"0".repeat(68)}.05`, whole: 3n },
      { id: "b", day: 20089 * 86_400_000, exact: "-0.5", text: "-0.5000000000", approx: -0.5, wide: "0.12", whole: -1n },
      { id: "c", day: 20089 * 86_400_000, exact: "0.0000000001", text: "0.0000000001", approx: 1e-10, wide: "0", whole: 0n },
      { id: "d", day: 20089 * 86_400_000, exact: null, text: null, approx: null, wide: `1${"0".repeat(73)}`, whole: 123n },
    ]);
  });
});

import { Binary, FixedSizeBinary, vectorFromArray } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../src/definition";
import { normalizeSource } from "../../src/normalize";
import { date32Column, tableFrom, utf8Column } from "../../src/parquet/columns";
import { encodeParquet } from "../../src/parquet/codec";
import { chunked } from "../formats/helpers";

const definition = parseDefinition(
  `id: t
source: { uri: "file:///x.parquet" }
schema:
  columns:
    - { name: id, type: string }
    - { name: day, type: date }
    - { name: text, type: string, from: raw }
    - { name: n, type: int, from: digits }
    - { name: code, type: string }
  key: [id]
  partition_by: day
on_bad_rows: quarantine
`,
  "t.yaml",
);

describe("Parquet BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY columns without a string annotation (older writers' text, codes)", () => {
  it("are their UTF-8 text; bytes that are not UTF-8 are bad rows, not JSON of the bytes", async () => {
    const raw = [Buffer.from("héllo ✓", "utf8"), Buffer.from([0x66, 0xff, 0x6f]), Buffer.from("", "utf8")];
    const digits = [Buffer.from("42"), Buffer.from("7"), Buffer.from("-9")];
    const bytes = encodeParquet(
      tableFrom({
        id: utf8Column(["a", "b", "c"]),
        day: date32Column(Int32Array.from([20089, 20089, 20089])),
        raw: vectorFromArray(raw.map((b) => new Uint8Array(b)), new Binary()),
        digits: vectorFromArray(digits.map((b) => new Uint8Array(b)), new Binary()),
        code: vectorFromArray([Buffer.from("AB"), Buffer.from("CD"), Buffer.from([0xc3, 0x28])].map((b) => new Uint8Array(b)), new FixedSizeBinary(2)),
      }),
    );
    const r = await normalizeSource({ definition, input: chunked(bytes, 1000), fileLabel: "s.parquet" });
    expect(r.table.toArray().map((x) => { const o = x.toJSON(); return [o.id, o.text, o.n, o.code]; })).toEqual([["a", "héllo ✓", 42n, "AB"]]);
    expect(r.badRows.map((b) => [b.row, b.column, b.reason])).toEqual([
      [2, "text", "binary data that is not UTF-8 text"],
      [3, "code", "binary data that is not UTF-8 text"],
    ]);
  });
});

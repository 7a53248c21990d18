import { Field, Int64, List, Struct, Utf8, vectorFromArray } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../src/definition";
import { normalizeSource } from "../../src/normalize";
import { date32Column, tableFrom, utf8Column } from "../../src/parquet/columns";
import { encodeParquet } from "../../src/parquet/codec";
import { chunked } from "../formats/helpers";

const definition = (type: string) =>
  parseDefinition(
    `id: t
source: { uri: "file:///x.parquet" }
schema:
  columns:
    - { name: id, type: string }
    - { name: day, type: date }
    - { name: list, type: ${type} }
    - { name: record, type: ${type} }
  key: [id]
  partition_by: day
on_bad_rows: quarantine
`,
    "t.yaml",
  );

/** Parquet with a list of 64-bit integers and a struct holding one, written from the test's own values. */
function nestedParquet(): Uint8Array {
  const big = 4611686018427387905n;
  return encodeParquet(
    tableFrom({
      id: utf8Column(["a", "b"]),
      day: date32Column(Int32Array.from([20089, 20089])),
      list: vectorFromArray([[1n, big], [-7n]], new List(new Field("item", new Int64(), true))),
      record: vectorFromArray([{ n: big, s: "x" }, { n: -1n, s: null }], new Struct([new Field("n", new Int64(), true), new Field("s", new Utf8(), true)])),
    }),
  );
}

describe("nested Parquet values with 64-bit integers", () => {
  it("reach a string column as JSON whose integers are numbers with all their digits", async () => {
    const r = await normalizeSource({ definition: definition("string"), input: chunked(nestedParquet(), 1000), fileLabel: "s.parquet" });
    expect(r.badRows).toEqual([]);
    expect(r.table.toArray().map((x) => [x.toJSON().list, x.toJSON().record])).toEqual([
      ["[1,4611686018427387905]", '{"n":4611686018427387905,"s":"x"}'],
      ["[-7]", '{"n":-1,"s":null}'],
    ]);
  });

  it("are bad rows of an int column, quoted in the report, instead of failing the run", async () => {
    const r = await normalizeSource({ definition: definition("int"), input: chunked(nestedParquet(), 1000), fileLabel: "s.parquet" });
    expect(r.table.numRows).toBe(0);
    expect(r.badRows.map((b) => [b.row, b.column, b.value, b.reason])).toEqual([
      [1, "list", "[1,4611686018427387905]", "a list, not an integer"],
      [1, "record", '{"n":4611686018427387905,"s":"x"}', "an object, not an integer"],
      [2, "list", "[-7]", "a list, not an integer"],
      [2, "record", '{"n":-1,"s":null}', "an object, not an integer"],
    ]);
  });
});

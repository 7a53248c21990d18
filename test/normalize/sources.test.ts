import { join } from "node:path";
import * as ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { loadDefinitionFile, parseDefinition } from "../../src/definition";
import { BadRowsError, normalizeSource } from "../../src/normalize";
import { date32Column, float64Column, int64Column, tableFrom, utf8Column } from "../../src/parquet/columns";
import { encodeParquet } from "../../src/parquet/codec";
import { chunked } from "../formats/helpers";

const FIXTURES = join(__dirname, "..", "fixtures", "sources");
const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`);

function def(format: string, options = "{}", columns = "[{ name: series_id, type: string }, { name: obs_date, type: date }, { name: value, type: double }]") {
  return parseDefinition(
    `id: t
source: { uri: "file:///x.${format}", options: ${options} }
schema: { columns: ${columns}, key: [series_id, obs_date], partition_by: obs_date }
`,
    "t.yaml",
  );
}

describe("normalizing each source format", () => {
  it("loads the SPEC §6 definition and its CSV fixture", async () => {
    const definition = await loadDefinitionFile(join(FIXTURES, "datasets", "cb_series.yaml"));
    const r = await normalizeSource({ definition, input: join(FIXTURES, "series.csv"), fileLabel: "series.csv" });
    expect(r.table.numRows).toBe(5);
    expect(r.table.getChild("series_id")!.toArray()).toEqual(["CB.M.EUR.RATE", "CB.M.EUR.RATE", "CB.M.USD.RATE", "CB.M.USD.RATE", "CB.M.GBP,SPECIAL"]);
    expect(r.table.getChild("value")!.get(3)).toBeNull();
    expect([...r.months]).toEqual([202501, 202502, 202501, 202502, 202502]);
  });

  it("unpivots the latin1 wide fixture into exact decimals", async () => {
    const definition = await loadDefinitionFile(join(FIXTURES, "datasets", "wide_indicators.yaml"));
    const r = await normalizeSource({ definition, input: `file://${join(FIXTURES, "wide-latin1.csv")}`, fileLabel: "wide-latin1.csv" });
    const out = r.table.toArray().map((row) => {
      const o = row.toJSON() as { series_id: string; obs_date: number; value: string };
      return [o.series_id, new Date(o.obs_date).toISOString().slice(0, 7), o.value];
    });
    expect(out).toEqual([
      ["IPC", "2024-12", "101.5"],
      ["IPC", "2025-01", "102.1"],
      ["PIB", "2024-12", "1234"],
      ["PIB", "2025-02", "1250.7"],
    ]);
  });

  it("normalizes an XLSX sheet with date cells, numbers and text dates", async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("Data");
    ws.addRow(["series_id", "obs_date", "value", "n"]);
    ws.addRow(["A", new Date(Date.UTC(2025, 0, 31)), 1.5, 3]);
    ws.addRow(["B", "2025-02-28", "2.5", 4]);
    ws.getCell("B2").numFmt = "dd/mm/yyyy";
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const definition = def("xlsx", "{}", "[{ name: series_id, type: string }, { name: obs_date, type: date }, { name: value, type: double }, { name: n, type: int }]");
    const r = await normalizeSource({ definition, input: chunked(bytes, 1000), fileLabel: "book.xlsx" });
    expect(r.table.toArray().map((x) => x.toJSON())).toEqual([
      { series_id: "A", obs_date: day("2025-01-31"), value: 1.5, n: 3n },
      { series_id: "B", obs_date: day("2025-02-28"), value: 2.5, n: 4n },
    ]);
  });

  it("names the sheet row of a bad XLSX cell", async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("Data");
    ws.addRow(["title"]);
    ws.addRow(["series_id", "obs_date", "value"]);
    ws.addRow(["A", "2025-01-31", true]);
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const err = await normalizeSource({ definition: def("xlsx", "{ header_row: 2 }"), input: chunked(bytes, 1000), fileLabel: "book.xlsx" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRowsError);
    expect((err as Error).message).toBe('book.xlsx row 3: column "value" is "true", which is a boolean, not a number — fix the source or set on_bad_rows: quarantine.');
  });

  it("normalizes Parquet, renaming and casting native values", async () => {
    const bytes = encodeParquet(
      tableFrom({
        code: utf8Column(["A", "B"]),
        day: date32Column(Int32Array.from([20119, 20120])),
        v: float64Column(Float64Array.from([1.25, -2])),
        n: int64Column(BigInt64Array.from([5n, 6n])),
        unused: utf8Column(["x", "y"]),
      }),
    );
    const definition = def("parquet", "{}", "[{ name: series_id, type: string, from: code }, { name: obs_date, type: date, from: day }, { name: value, type: decimal, from: v }, { name: n, type: double }]");
    const r = await normalizeSource({ definition, input: chunked(bytes, 100), fileLabel: "s.parquet" });
    expect(r.table.toArray().map((x) => x.toJSON())).toEqual([
      { series_id: "A", obs_date: day("2025-01-31"), value: "1.25", n: 5 },
      { series_id: "B", obs_date: day("2025-02-01"), value: "-2", n: 6 },
    ]);
    expect([...r.months]).toEqual([202501, 202502]);
  });

  it("refuses native Parquet dates outside the partition years 1000–9999", async () => {
    const year50 = new Date(Date.UTC(2000, 2, 1));
    year50.setUTCFullYear(50);
    const days = [year50.getTime() / 86_400_000, day("2025-01-31") / 86_400_000, Date.UTC(10000, 0, 1) / 86_400_000];
    const bytes = encodeParquet(tableFrom({ series_id: utf8Column(["A", "B", "C"]), obs_date: date32Column(Int32Array.from(days)), value: float64Column(Float64Array.from([1, 2, 3])) }));
    const definition = { ...def("parquet"), on_bad_rows: "quarantine" as const };
    const r = await normalizeSource({ definition, input: chunked(bytes, 100), fileLabel: "s.parquet" });
    expect(r.table.toArray().map((x) => x.toJSON().series_id)).toEqual(["B"]);
    expect(r.badRows.map((b) => [b.row, b.column, b.reason])).toEqual([
      [1, "obs_date", "a date outside the partition years 1000–9999"],
      [3, "obs_date", "a date outside the partition years 1000–9999"],
    ]);
    expect(r.badRows.map((b) => b.value)).toEqual([year50.toISOString(), new Date(Date.UTC(10000, 0, 1)).toISOString()]);
  });
});

import ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../src/definition";
import { normalizeSource } from "../../src/normalize";
import { chunked } from "../formats/helpers";

const definition = parseDefinition(
  `id: t
source: { uri: "file:///x.xlsx" }
schema:
  columns:
    - { name: id, type: string }
    - { name: d, type: date }
    - { name: t, type: timestamp }
    - { name: n, type: double }
  key: [id]
  partition_by: d
on_bad_rows: quarantine
`,
  "t.yaml",
);

/** A sheet whose date and timestamp cells are formulas with cached serials, as Excel saves them; `n` is a formula without a date format. */
async function workbook(date1904: boolean, rows: [string, number, number, number][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.properties.date1904 = date1904;
  const ws = wb.addWorksheet("Data");
  ws.addRow(["id", "d", "t", "n"]);
  for (const [id, d, t, n] of rows) {
    const row = ws.addRow([id, { formula: "A1", result: d }, { formula: "A1", result: t }, { formula: "A1", result: n }]);
    row.getCell(2).numFmt = "yyyy-mm-dd";
    row.getCell(3).numFmt = "dd/mm/yyyy hh:mm:ss";
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

const read = async (bytes: Buffer) => {
  const r = await normalizeSource({ definition, input: chunked(bytes, 1 << 20), fileLabel: "book.xlsx" });
  return { bad: r.badRows, rows: r.table.toArray().map((x) => { const o = x.toJSON(); return [o.id, new Date(o.d as number).toISOString().slice(0, 10), Number(o.t), o.n]; }) };
};

describe("XLSX formula cells with a date format", () => {
  it("are the dates and times Excel shows, like date cells", async () => {
    // 1900 system: serial 45322 is 2024-01-31, 45322.5 its noon, 61 is 1900-03-01 (timestamps compared in ms, as Arrow gives them).
    const got = await read(await workbook(false, [["a", 45322, 45322.5, 7.25], ["b", 61, 61.25, 3]]));
    expect(got.bad).toEqual([]);
    expect(got.rows).toEqual([
      ["a", "2024-01-31", Date.UTC(2024, 0, 31, 12), 7.25],
      ["b", "1900-03-01", Date.UTC(1900, 2, 1, 6), 3],
    ]);
  });

  it("count from 1904-01-01 in a 1904-system workbook", async () => {
    const got = await read(await workbook(true, [["a", 43860, 43860.75, 1]]));
    expect(got.bad).toEqual([]);
    expect(got.rows).toEqual([["a", "2024-01-31", Date.UTC(2024, 0, 31, 18), 1]]);
  });
});

import * as ExcelJS from "exceljs";
import { describe, expect, it } from "vitest";
import { SourceFormatError, readXlsx } from "../../src/formats";
import { chunked, sourceOptions } from "./helpers";

async function workbook(): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const notes = wb.addWorksheet("Notes");
  notes.addRow(["just notes"]);
  const data = wb.addWorksheet("Data");
  data.addRow(["Central bank series"]);
  data.addRow([]);
  data.addRow(["series_id", "obs_date", "value", "flag"]);
  data.addRow(["", "", "EUR m", ""]);
  data.addRow(["A", new Date(Date.UTC(2025, 0, 31)), 1.5, true]);
  data.addRow([]);
  data.addRow([{ richText: [{ text: "B" }, { text: "2" }] }, new Date(Date.UTC(2025, 1, 28)), { formula: "1+1", result: 2 }, false]);
  data.getCell("B5").numFmt = "yyyy-mm-dd";
  data.getCell("B7").numFmt = "yyyy-mm-dd";
  return Buffer.from(await wb.xlsx.writeBuffer());
}

async function rows(bytes: Buffer, yamlOptions: string) {
  const out: { names: readonly string[]; values: unknown[][]; lines: number[] } = { names: [], values: [], lines: [] };
  for await (const b of readXlsx(chunked(bytes, 4096), sourceOptions("xlsx", yamlOptions), "book.xlsx")) {
    out.names = b.names;
    for (let i = 0; i < b.length; i++) {
      out.values.push(b.names.map((_, c) => b.column(c).value(i)));
      out.lines.push(b.rows[i]);
    }
  }
  return out;
}

describe("readXlsx", () => {
  it("reads the named sheet with the header on header_row, skipping rows after it and blank rows", async () => {
    const r = await rows(await workbook(), "{ sheet: Data, header_row: 3, skip_rows: 1 }");
    expect(r.names).toEqual(["series_id", "obs_date", "value", "flag"]);
    expect(r.values).toEqual([
      ["A", new Date(Date.UTC(2025, 0, 31)), 1.5, true],
      ["B2", new Date(Date.UTC(2025, 1, 28)), 2, false],
    ]);
    expect(r.lines).toEqual([5, 7]);
  });

  it("selects sheets by 0-based index, defaulting to the first", async () => {
    const bytes = await workbook();
    expect((await rows(bytes, "{}")).names).toEqual(["just notes"]);
    expect((await rows(bytes, "{ sheet: 1, header_row: 3 }")).values).toHaveLength(3);
  });

  it("names the sheets when the requested one is missing", async () => {
    await expect(rows(await workbook(), "{ sheet: Summary }")).rejects.toThrow('book.xlsx has no sheet named "Summary" (sheets: "Notes", "Data"); fix source.options.sheet.');
  });

  it("rejects a file that is not a zip archive, and an empty one", async () => {
    const err = await rows(Buffer.from("series_id,obs_date\nA,2025-01-01\n"), "{}").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceFormatError);
    expect((err as Error).message).toBe("book.xlsx is not an XLSX workbook (it is not a zip archive); check source.format or re-export the file as .xlsx.");
    await expect(rows(Buffer.alloc(0), "{}")).rejects.toThrow("book.xlsx is empty (0 bytes)");
  });

  it("explains a header row past the end of the sheet", async () => {
    await expect(rows(await workbook(), "{ sheet: Notes, header_row: 5 }")).rejects.toThrow(/book\.xlsx sheet "Notes" has no header row 5/);
  });
});

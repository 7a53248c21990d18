import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { ingestWorkflowId } from "../../src/one-writer";
import { openFixtureStore, type FixtureStore } from "./fixture-store";

/**
 * Excel's 1900 date system counts a 1900-02-29 (Lotus 1-2-3's leap-year bug), so its serials 1–59
 * are the days 1900-01-01 … 1900-02-28 and serial 60 is no date. An XLSX source's date cells of
 * early 1900 are published as the dates Excel shows.
 */
const DATASET = "xlsx_1900";

let fx: FixtureStore;

beforeAll(async () => {
  fx = await openFixtureStore(null, DATASET, [
    "schema:", "  columns:", "    - { name: id, type: string }", "    - { name: d, type: date }", "    - { name: t, type: timestamp }",
    "  key: [id]", "  partition_by: d", "on_bad_rows: quarantine",
  ], "xlsx");
});
afterAll(() => fx?.stop());

/** Serials as Excel stores them, with the date Excel shows for each (null: Excel's 1900-02-29). */
const CELLS: [number, string | null][] = [[1, "1900-01-01"], [31, "1900-01-31"], [59.5, "1900-02-28"], [60, null], [61, "1900-03-01"], [45000, "2023-03-15"]];

describe("XLSX date cells of early 1900 [file store, real dev server]", () => {
  it("are the dates Excel shows, and Excel's 1900-02-29 is a bad row", async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("Data");
    ws.addRow(["id", "d", "t"]);
    for (const [serial] of CELLS) {
      const row = ws.addRow([`s${serial}`, serial, serial]);
      row.getCell(2).numFmt = "yyyy-mm-dd";
      row.getCell(3).numFmt = "yyyy-mm-dd hh:mm";
    }
    await wb.xlsx.writeFile(fx.sourcePath);
    const result = (await fx.client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as IngestResult;
    expect(result.counts).toMatchObject({ inserted: 5 });
    expect(result.quarantined?.rows).toBe(1);
    const rows = await fx.readRows(`id, d::VARCHAR AS d, strftime(t, '%Y-%m-%d %H:%M') AS t FROM rows ORDER BY d`);
    const shown = CELLS.filter(([, d]) => d !== null).map(([serial, d]) => ({ id: `s${serial}`, d, t: `${d} ${serial % 1 === 0.5 ? "12:00" : "00:00"}` }));
    expect(rows).toEqual(shown);
    expect(Object.keys((await fx.current()).projections.latest).sort()).toEqual(["1900-01", "1900-02", "1900-03", "2023-03"]);
  });
});

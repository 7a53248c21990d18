import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listFiles } from "../../src/cli/commands/files";
import type { IngestResult } from "../../src/contracts";
import { ingestWorkflowId } from "../../src/one-writer";
import { openFixtureStore, type FixtureStore } from "../engine/fixture-store";
import { openDuck } from "../support/duck";

/**
 * Columns named like the partition directories (`year=2024/month=01/day=15`) hold the source's values,
 * for the engine reading its base files in place on a file:// store and for the DuckDB command of
 * `tidemark files`: DuckDB reads `key=value` directories as columns unless told not to.
 */
const DATASET = "hive_named";

let fx: FixtureStore;
beforeAll(async () => {
  fx = await openFixtureStore(null, DATASET, [
    "schema:", "  columns:",
    "    - { name: id, type: string }", "    - { name: d, type: date }", "    - { name: year, type: int }", "    - { name: month, type: string }", "    - { name: day, type: string }",
    "  key: [id]", "  partition_by: { column: d, granularity: day }",
  ]);
});
afterAll(() => fx?.stop());

const ingest = async (csv: string) => {
  writeFileSync(fx.sourcePath, csv);
  return (await fx.client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as IngestResult;
};

const SOURCE = [["a", "2024-01-15", "1999", "March", "Monday"], ["b", "2024-01-15", "2000", "April", "Tuesday"]];
const csv = (rows: string[][]) => `id,d,year,month,day\n${rows.map((r) => r.join(",")).join("\n")}\n`;

describe("columns named year, month and day [file store, real dev server]", () => {
  it("keep their values when their partition is rebuilt, and the files command's DuckDB query reads them", async () => {
    expect((await ingest(csv(SOURCE))).status).toBe("published");
    const revised = [SOURCE[0], ["b", "2024-01-15", "2000", "May", "Tuesday"]];
    const second = await ingest(csv(revised));
    expect(second.counts).toMatchObject({ inserted: 0, updated: 1, unchanged: 1 });

    const published = await fx.readRows("id, strftime(d, '%Y-%m-%d') AS d, year::VARCHAR AS year, month, day FROM rows ORDER BY id");
    expect(published.map((r) => Object.values(r))).toEqual(revised);

    const { duckdb } = await listFiles(fx.store, DATASET);
    const sql = /^duckdb -c "(.*)"$/.exec(duckdb)![1].replaceAll("\\$", "$");
    const duck = await openDuck();
    try {
      const read = await duck.conn.runAndReadAll(`SELECT * FROM (${sql}) ORDER BY id`);
      expect(read.columnNames()).toEqual(["id", "d", "year", "month", "day"]);
      expect(read.getRows().map((r) => [r[0], String(r[1]), String(r[2]), r[3], r[4]])).toEqual(revised);
    } finally {
      duck.close();
    }
  });
});

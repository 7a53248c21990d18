import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { VerifyResult } from "../../src/maintenance";
import { ingestWorkflowId } from "../../src/one-writer";
import { openDuck } from "../support/duck";
import { openFixtureStore, type FixtureStore } from "./fixture-store";

/**
 * Parquet TIMESTAMP sources keep their microseconds: a value read from Parquet is the instant a CSV
 * spelling of it gives, whatever the unit (ms, µs, ns), before 1970 too, and it lands in its own
 * UTC partition.
 */
const DATASET = "pq_times";

let fx: FixtureStore;

beforeAll(async () => {
  fx = await openFixtureStore(null, DATASET, [
    "schema:", "  columns:", "    - { name: id, type: int }", "    - { name: t, type: timestamp }", "    - { name: t_ns, type: timestamp }", "    - { name: t_ms, type: timestamp }",
    "  key: [id]", "  partition_by: { column: t, granularity: day }",
  ], "parquet");
});
afterAll(() => fx?.stop());

const INSTANTS = ["1969-12-31 23:59:59.999999", "2024-03-31 23:30:00.123456", "1900-01-01 00:00:00.000001", "9999-12-31 23:59:59.999999"];

describe("Parquet timestamps of every unit [file store, real dev server]", () => {
  it("are published with their exact microseconds and in their own day", async () => {
    const duck = await openDuck();
    try {
      const values = INSTANTS.map((t, i) => `(${i + 1}, TIMESTAMP '${t}', ${i < 3 ? `TIMESTAMP_NS '${t}789'` : "NULL"}, TIMESTAMP_MS '${t.slice(0, 23)}')`).join(", ");
      await duck.conn.run(`COPY (SELECT * FROM (VALUES ${values}) v(id, t, t_ns, t_ms)) TO '${fx.sourcePath}' (FORMAT parquet)`);
    } finally {
      duck.close();
    }
    const result = (await fx.client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as IngestResult;
    expect(result.counts).toMatchObject({ inserted: 4, rowsTotal: 4 });
    const rows = await fx.readRows(`id, epoch_us(t)::VARCHAR AS t, epoch_us(t_ns)::VARCHAR AS ns, epoch_us(t_ms)::VARCHAR AS ms FROM rows ORDER BY id`);
    const duck2 = await openDuck();
    try {
      const want = await duck2.conn.runAndReadAll(
        `SELECT epoch_us(TIMESTAMP '${INSTANTS[0]}')::VARCHAR, epoch_us(TIMESTAMP '${INSTANTS[1]}')::VARCHAR, epoch_us(TIMESTAMP '${INSTANTS[2]}')::VARCHAR, epoch_us(TIMESTAMP '${INSTANTS[3]}')::VARCHAR`,
      );
      const us = want.getRows()[0].map(String);
      expect(rows.map((r) => r.t)).toEqual(us);
      expect(rows.map((r) => r.ns)).toEqual([...us.slice(0, 3), null]);
      expect(rows.map((r) => r.ms)).toEqual(us.map((u) => String(BigInt(u) / 1000n * 1000n - (BigInt(u) % 1000n < 0n ? 1000n : 0n))));
    } finally {
      duck2.close();
    }
    expect(Object.keys((await fx.current()).projections.latest).sort()).toEqual(["1900-01-01", "1969-12-31", "2024-03-31", "9999-12-31"]);
    const verify = (await fx.client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${DATASET}`, taskQueue: fx.taskQueue, args: [{ dataset: DATASET }] })) as VerifyResult;
    expect(verify.findings).toEqual([]);
  });
});

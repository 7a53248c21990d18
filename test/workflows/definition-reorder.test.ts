import type { Client } from "@temporalio/client";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { VerifyResult } from "../../src/maintenance";
import { parsePointer, parseVersionManifest, type VersionManifest } from "../../src/manifest/schema";
import { monthFiles } from "../../src/manifest/month-files";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { openDuck, rows as duckRows } from "../support/duck";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";

interface Row {
  series_id: string;
  obs_date: string;
  value: number;
  note: string;
}

const columnLines: Record<string, string> = {
  series_id: "    - { name: series_id, type: string }",
  obs_date: "    - { name: obs_date, type: date }",
  value: "    - { name: value, type: double }",
  note: "    - { name: note, type: string }",
};

function definition(id: string, uri: string, order: string[]): string {
  return [
    `id: ${id}`,
    `source: { uri: "${uri}", format: csv }`,
    "schema:",
    "  columns:",
    ...order.map((c) => columnLines[c]),
    "  key: [series_id, obs_date]",
    "  partition_by: obs_date",
    "",
  ].join("\n");
}

const toCsv = (rows: Row[]) => `series_id,obs_date,value,note\n${rows.map((r) => `${r.series_id},${r.obs_date},${r.value},${r.note}`).join("\n")}\n`;

/** Column order in the YAML is cosmetic: reordering columns changes neither the rows' hashes nor the files' schema. */
describe("a definition whose columns are reordered", { timeout: 120_000 }, () => {
  const dataset = `defreorder_${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), "tm-defreorder-"));
  const datasetsDir = join(dir, "datasets");
  const source = join(dir, "series.csv");
  const definitionFile = join(datasetsDir, `${dataset}.yaml`);
  const store = new FsObjectStore(join(dir, "store"));
  const taskQueue = uniqueTaskQueue("defreorder");
  const root = `datasets/${dataset}/`;
  const published = ["series_id", "obs_date", "value", "note"];
  const reordered = ["note", "series_id", "value", "obs_date"];
  const rows: Row[] = ["A", "B"].flatMap((s) => [1, 2, 3].map((m) => ({ series_id: s, obs_date: `2024-0${m}-01`, value: m * 1.5, note: `n${s}${m}` })));
  let client: Client;
  let worker: RunningWorker;

  const ingest = () => client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] }) as Promise<IngestResult>;
  const current = async (): Promise<VersionManifest> => {
    const pointer = parsePointer((await store.get(`${root}current/manifest.json`)).body);
    return parseVersionManifest((await store.get(root + pointer.manifest)).body);
  };
  /** The column names of every projection file of the current version, in file order. */
  const fileColumns = async (): Promise<string[][]> => {
    const manifest = await current();
    const local = mkdtempSync(join(tmpdir(), "tm-defreorder-read-"));
    const duck = await openDuck();
    try {
      const out: string[][] = [];
      for (const [i, f] of Object.values(manifest.projections.latest).flatMap(monthFiles).entries()) {
        const path = join(local, `m${i}.parquet`);
        writeFileSync(path, (await store.get(root + f.path)).body);
        out.push((await duckRows(duck.conn, `DESCRIBE SELECT * FROM read_parquet('${path}')`)).map((r) => String(r.column_name)));
      }
      return out;
    } finally {
      duck.close();
    }
  };

  beforeAll(async () => {
    mkdirSync(datasetsDir);
    writeFileSync(source, toCsv(rows));
    writeFileSync(definitionFile, definition(dataset, `file://${source}`, published));
    client = await testClient();
    worker = await startTestWorker({ store, datasetsDir, taskQueue, client });
    expect((await ingest()).status).toBe("published");
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
  });

  it("counts only the rows whose values changed, keeps the published column order in every file, and verifies clean", async () => {
    writeFileSync(definitionFile, definition(dataset, `file://${source}`, reordered));
    const changed = rows.filter((r) => r.obs_date === "2024-01-01").map((r) => (r.series_id === "A" ? { ...r, value: 99 } : r));
    writeFileSync(source, toCsv(changed));
    const result = await ingest();
    expect(result).toMatchObject({ status: "published", counts: { inserted: 0, updated: 1, deleted: 0 } });
    expect((await current()).schema.columns.map((c) => c.name)).toEqual(published);
    expect(await fileColumns()).toEqual([published, published, published]);
    const verify = (await client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${dataset}-1`, taskQueue, args: [{ dataset }] })) as VerifyResult;
    expect(verify.findings).toEqual([]);
  });

  it("a reordered definition over an unchanged source is unchanged", async () => {
    expect((await ingest()).status).toBe("unchanged");
  });
});

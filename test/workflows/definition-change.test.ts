import type { Client } from "@temporalio/client";
import { WorkflowFailedError } from "@temporalio/client";
import { ActivityFailure, ApplicationFailure } from "@temporalio/common";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import type { VerifyResult } from "../../src/maintenance";
import { parsePointer, parseVersionManifest, type VersionManifest } from "../../src/manifest/schema";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { sortedRows } from "../support/published";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { keyOf, monthlySeries, toCsv, type SeriesRow } from "./ingest-fixtures";
import { readProjectionRows } from "./read-back";
import { monthFiles } from "../../src/manifest/month-files";

/** The series definition with the given value type and projections. */
function definition(id: string, uri: string, options: { valueType?: string; key?: string; projections?: string[]; mode?: string } = {}): string {
  return [
    `id: ${id}`,
    `source: { uri: "${uri}", format: csv }`,
    `mode: ${options.mode ?? "upsert"}`,
    "schema:",
    "  columns:",
    "    - { name: series_id, type: string }",
    "    - { name: obs_date, type: date }",
    `    - { name: value, type: ${options.valueType ?? "double"} }`,
    `  key: [${options.key ?? "series_id, obs_date"}]`,
    "  partition_by: obs_date",
    ...(options.projections ? ["projections:", ...options.projections.map((p) => `  - { name: ${p} }`)] : []),
    "",
  ].join("\n");
}

/** A definition whose schema differs from the published one is refused; projections may change and are rebuilt. */
describe("definition changes between versions", { timeout: 120_000 }, () => {
  const dataset = `defchange_${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), "tm-defchange-"));
  const datasetsDir = join(dir, "datasets");
  const source = join(dir, "series.csv");
  const definitionFile = join(datasetsDir, `${dataset}.yaml`);
  const store = new FsObjectStore(join(dir, "store"));
  const taskQueue = uniqueTaskQueue("defchange");
  const root = `datasets/${dataset}/`;
  let client: Client;
  let worker: RunningWorker;
  let runs = 0;
  const rows: SeriesRow[] = monthlySeries(["A", "B"], "2024-01", 5, (_s, m) => m * 1.5);
  const expected = sortedRows(new Map(rows.map((r) => [keyOf(r), r])));

  const ingest = () => client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue, args: [{ dataset }] }) as Promise<IngestResult>;
  const current = async (): Promise<VersionManifest> => {
    const pointer = parsePointer((await store.get(`${root}current/manifest.json`)).body);
    return parseVersionManifest((await store.get(root + pointer.manifest)).body);
  };
  const keys = async () => {
    const out: string[] = [];
    for await (const o of store.list(root)) out.push(o.key);
    return out.sort();
  };

  beforeAll(async () => {
    mkdirSync(datasetsDir);
    writeFileSync(source, toCsv(rows));
    writeFileSync(definitionFile, definition(dataset, `file://${source}`));
    client = await testClient();
    worker = await startTestWorker({ store, datasetsDir, taskQueue, client });
    expect((await ingest()).status).toBe("published");
  });
  afterAll(async () => {
    await worker?.stop();
    await client?.connection.close();
  });

  it.each([
    { change: "a column type", options: { valueType: "string" }, says: 'changes the type of "value" from double to string' },
    { change: "the key", options: { key: "series_id, obs_date, value" }, says: 'changes the key from ["series_id", "obs_date"] to ["series_id", "obs_date", "value"]' },
  ])("a definition that changes $change fails at once with SchemaConflictError and writes nothing", async ({ options, says }) => {
    const before = await keys();
    const pointer = Buffer.from((await store.get(`${root}current/manifest.json`)).body);
    writeFileSync(definitionFile, definition(dataset, `file://${source}`, options));
    try {
      const err = await ingest().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause;
      const failure = cause instanceof ActivityFailure ? cause.cause : cause;
      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect((failure as ApplicationFailure).type).toBe("SchemaConflictError");
      expect((failure as ApplicationFailure).nonRetryable).toBe(true);
      expect((failure as ApplicationFailure).message).toContain(says);
      expect((failure as ApplicationFailure).message).toContain("publish the new schema under a new dataset id");
    } finally {
      writeFileSync(definitionFile, definition(dataset, `file://${source}`));
    }
    expect(Buffer.from((await store.get(`${root}current/manifest.json`)).body)).toEqual(pointer);
    expect(await keys()).toEqual(before);
  });

  it("a projection added to the definition is built for every live month, even when the source did not change", async () => {
    writeFileSync(definitionFile, definition(dataset, `file://${source}`, { projections: ["latest", "by_series"] }));
    const result = await ingest();
    expect(result.status).toBe("published");
    const manifest = await current();
    expect(Object.keys(manifest.projections).sort()).toEqual(["by_series", "latest"]);
    expect(Object.keys(manifest.projections.by_series)).toEqual(Object.keys(manifest.projections.latest));
    expect(Object.keys(manifest.projections.by_series)).toHaveLength(5);
    for (const f of Object.values(manifest.projections.by_series).flatMap(monthFiles)) expect(f.path).toContain(`projections/by_series/`);
    expect(await readProjectionRows(store, dataset, "by_series")).toEqual(expected);
    const verify = (await client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${dataset}-${++runs}`, taskQueue, args: [{ dataset }] })) as VerifyResult;
    expect(verify.findings).toEqual([]);
  });

  it("a projection removed or renamed: the manifest lists exactly the definition's projections, deletes included", async () => {
    writeFileSync(definitionFile, definition(dataset, `file://${source}`, { projections: ["current_state"], mode: "snapshot" }));
    const kept = rows.filter((r) => r.series_id === "A");
    writeFileSync(source, toCsv(kept));
    const result = await ingest();
    expect(result).toMatchObject({ status: "published", counts: { deleted: 5, inserted: 0, updated: 0 } });
    const manifest = await current();
    expect(Object.keys(manifest.projections)).toEqual(["current_state"]);
    expect(await readProjectionRows(store, dataset, "current_state")).toEqual(sortedRows(new Map(kept.map((r) => [keyOf(r), r]))));
    const verify = (await client.workflow.execute("verifyDataset", { workflowId: `tidemark/verify/${dataset}-${++runs}`, taskQueue, args: [{ dataset }] })) as VerifyResult;
    expect(verify.findings).toEqual([]);
    expect((await ingest()).status).toBe("unchanged");
  });
});

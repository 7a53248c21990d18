import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@temporalio/client";
import { WorkflowFailedError } from "@temporalio/client";
import type { IngestResult } from "../../src/contracts";
import { FragmentIds } from "../../src/intake/fragment-id";
import { parsePointer, parseVersionManifest, type VersionManifest } from "../../src/manifest/schema";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { CLICKS_YAML, TOKENS, click, ndjson, ndjsonHeaders, normalizedClick, startBed } from "./bed";

/**
 * A push dataset whose definition changed while `tidemark serve` acknowledged records under the
 * other definition: a compaction never drops an acknowledged field silently.
 */
const DATASET = "clicks";
const ROOT = `datasets/${DATASET}/`;
const WITH_EXTRA = CLICKS_YAML.replace("    - { name: note, type: string }\n", "    - { name: note, type: string }\n    - { name: extra, type: string }\n");

let store: FsObjectStore;
let dir: string;
let worker: RunningWorker;
let client: Client;
let taskQueue: string;
const ids = new FragmentIds();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tidemark-pushdef-"));
  store = new FsObjectStore(join(dir, "store"));
  mkdirSync(join(dir, "datasets"));
  writeFileSync(join(dir, "datasets", `${DATASET}.yaml`), CLICKS_YAML);
  taskQueue = uniqueTaskQueue("pushdef");
  client = await testClient();
  worker = await startTestWorker({ store, datasetsDir: join(dir, "datasets"), taskQueue, client });
});
afterAll(async () => {
  await worker?.stop();
  await client?.connection.close();
});

const compact = async () =>
  (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue, args: [{ dataset: DATASET }], workflowExecutionTimeout: "90s" })) as IngestResult;

async function keys(prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(ROOT + prefix)) out.push(o.key.slice(ROOT.length));
  return out.sort();
}

async function current(): Promise<VersionManifest> {
  const pointer = parsePointer((await store.get(`${ROOT}current/manifest.json`)).body);
  return parseVersionManifest((await store.get(ROOT + pointer.manifest)).body);
}

describe("a push dataset whose definition changed under acknowledged records [file store, real dev server]", () => {
  it("a server whose definition conflicts with the published schema acknowledges nothing: 409 with the conflict, no fragment", async () => {
    await store.put(`${ROOT}inbox/${ids.next()}`, ndjson([normalizedClick("a")]), { kind: "create" });
    expect(await compact()).toMatchObject({ status: "published", counts: { inserted: 1 } });
    const version = (await current()).version;

    const bed = await startBed(store, {}, { definitionsYaml: WITH_EXTRA });
    try {
      const res = await bed.post(`/v1/datasets/${DATASET}/records`, ndjson([{ ...click("b"), extra: "kept?" }]), ndjsonHeaders(TOKENS.all));
      expect(res.status).toBe(409);
      expect(res.body.error).toBe(
        `The definition of clicks on this server adds column "extra" compared with the published version ${version}, so no compaction could publish these records; ` +
          "restore the definition and restart tidemark serve, or publish the new schema under a new dataset id.",
      );
    } finally {
      await bed.close();
    }
    expect(await keys("inbox/")).toEqual([]);

    writeFileSync(join(dir, "datasets", `${DATASET}.yaml`), WITH_EXTRA);
    const refused = await compact().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowFailedError);
    writeFileSync(join(dir, "datasets", `${DATASET}.yaml`), CLICKS_YAML);
    expect(await compact()).toMatchObject({ status: "unchanged" });
  }, 180_000);

  it("a server with the published schema still acknowledges, also after a column reorder", async () => {
    const reordered = CLICKS_YAML.replace("    - { name: note, type: string }\n", "").replace("  columns:\n", "  columns:\n    - { name: note, type: string }\n");
    const bed = await startBed(store, {}, { definitionsYaml: reordered });
    try {
      const res = await bed.post(`/v1/datasets/${DATASET}/records`, ndjson([click("c")]), ndjsonHeaders(TOKENS.all));
      expect(res.status).toBe(202);
    } finally {
      await bed.close();
    }
    expect(await compact()).toMatchObject({ status: "published", counts: { inserted: 1, rowsTotal: 2 } });
    expect((await current()).schema.columns.map((c) => c.name)).toEqual(["id", "at", "n", "price", "ok", "note"]);
  }, 180_000);

  it("records acknowledged before the definition moved to a file source: the file ingest refuses and keeps them until a compaction publishes them", async () => {
    const pushed = ids.next();
    await store.put(`${ROOT}inbox/${pushed}`, ndjson([normalizedClick("d", 4)]), { kind: "create" });
    const csv = join(dir, "datasets", "clicks.csv");
    writeFileSync(csv, "id,at,n,price,ok,note\ne,2026-11-29T11:00:00Z,5,2.5,true,from file\n");
    const filed = CLICKS_YAML.replace("source: { push: {} }", `source: { uri: "file://${csv}", format: csv }`);
    writeFileSync(join(dir, "datasets", `${DATASET}.yaml`), filed);
    const before = (await current()).version;

    const refused = await compact().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkflowFailedError);
    const cause = (refused as WorkflowFailedError).cause as { cause?: { type?: string; message?: string } };
    expect(cause.cause?.type).toBe("InboxNotEmptyError");
    expect(cause.cause?.message).toContain("has 1 pushed fragment");
    expect((await current()).version).toBe(before);
    expect(await keys("inbox/")).toEqual([`inbox/${pushed}`]);

    writeFileSync(join(dir, "datasets", `${DATASET}.yaml`), CLICKS_YAML);
    expect(await compact()).toMatchObject({ status: "published", counts: { inserted: 1 } });
    expect(await keys("inbox/")).toEqual([]);
    writeFileSync(join(dir, "datasets", `${DATASET}.yaml`), filed);
    expect(await compact()).toMatchObject({ status: "published", counts: { inserted: 1, rowsTotal: 4 } });
  }, 180_000);
});

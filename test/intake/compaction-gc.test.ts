import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Client } from "@temporalio/client";
import type { IngestResult } from "../../src/contracts";
import type { GcResult } from "../../src/maintenance";
import { parsePointer, parseVersionManifest } from "../../src/manifest/schema";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { CLICKS_YAML, click, ndjson, ndjsonHeaders, startBed, TOKENS, type IntakeBed } from "./bed";

/** Its own dataset id: workflow ids are per dataset on the shared dev server, and other files push to "clicks". */
const DATASET = "clicks_gc";
const YAML = CLICKS_YAML.replace("id: clicks", `id: ${DATASET}`);
const ROOT = `datasets/${DATASET}/`;
const RECORDS = `/v1/datasets/${DATASET}/records`;
/** The worker's store: refuses the next `inboxDeleteFailures` deletions of inbox fragments, as a store that is down would. */
class RefusingStore extends FsObjectStore {
  inboxDeleteFailures = 0;
  override async delete(key: string): Promise<void> {
    if (this.inboxDeleteFailures > 0 && key.startsWith(`${ROOT}inbox/`)) {
      this.inboxDeleteFailures--;
      throw new Error(`injected: the store refused to delete ${key}`);
    }
    return super.delete(key);
  }
}
let store: RefusingStore;
let worker: RunningWorker;
let client: Client;
let bed: IntakeBed;
let taskQueue: string;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tidemark-compaction-gc-"));
  store = new RefusingStore(join(dir, "store"));
  const datasetsDir = join(dir, "datasets");
  mkdirSync(datasetsDir);
  writeFileSync(join(datasetsDir, `${DATASET}.yaml`), YAML);
  taskQueue = uniqueTaskQueue("compaction-gc");
  client = await testClient();
  worker = await startTestWorker({ store, datasetsDir, taskQueue, client });
  bed = await startBed(store, {}, { client, taskQueue, compact: false, definitionsYaml: YAML });
});
afterAll(async () => {
  await bed?.close();
  await worker?.stop();
  await client?.connection.close();
});

const compact = async () => (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue, args: [{ dataset: DATASET }] })) as IngestResult;

async function inbox(): Promise<string[]> {
  const ids: string[] = [];
  for await (const o of store.list(`${ROOT}inbox/`)) ids.push(o.key.slice(`${ROOT}inbox/`.length));
  return ids.sort();
}

describe("compaction started directly, and gc of an inbox [file store, real dev server]", () => {
  it("an empty inbox ends the run as unchanged; pushed records publish one version; a retry of the same records changes nothing and is consumed", async () => {
    expect((await compact()).status).toBe("unchanged");
    const records = [click("a", 1), click("b", 2)];
    const first = await bed.post(RECORDS, ndjson(records), ndjsonHeaders(TOKENS.all));
    expect(first.status).toBe(202);
    const published = await compact();
    expect(published).toMatchObject({ status: "published", counts: { inserted: 2, rowsTotal: 2 } });
    expect(await inbox()).toEqual([]);
    const again = await bed.post(RECORDS, ndjson(records), ndjsonHeaders(TOKENS.all));
    expect(again.status).toBe(202);
    expect(await inbox()).toHaveLength(1);
    expect(await compact()).toMatchObject({ status: "no-changes", counts: { unchanged: 2, rowsTotal: 2 } });
    expect(await inbox()).toEqual([]);
  });

  it("a compaction that changed nothing deletes its fragment even when the store refuses the first 3 deletions, and ends only once it is gone", async () => {
    const again = await bed.post(RECORDS, ndjson([click("a", 1)]), ndjsonHeaders(TOKENS.all));
    expect(again.status).toBe(202);
    store.inboxDeleteFailures = 3;
    const handle = await client.workflow.start("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue, args: [{ dataset: DATASET }] });
    expect(await handle.result()).toMatchObject({ status: "no-changes" });
    expect(store.inboxDeleteFailures).toBe(0);
    expect(await inbox()).toEqual([]);
    const attempts = ((await handle.fetchHistory()).events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt] : []));
    expect(attempts.at(-1)).toBe(4);
  });

  it("a version from another source (ingest --source) between compactions does not make a consumed fragment left behind apply again", async () => {
    const res = await bed.post(RECORDS, ndjson([click("d", 4)]), ndjsonHeaders(TOKENS.all));
    expect(res.status).toBe(202);
    expect(await compact()).toMatchObject({ status: "published" });
    const pointer = parsePointer((await store.get(`${ROOT}current/manifest.json`)).body);
    const consumed = parseVersionManifest((await store.get(ROOT + pointer.manifest)).body).source.fragments!;
    expect(consumed).toEqual([String(res.body.fragment)]);
    const file = join(dir, "backfill.ndjson");
    writeFileSync(file, ndjson([{ ...click("d", 40), at: "2026-11-29T10:00:00Z" }]));
    const backfill = (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue, args: [{ dataset: DATASET, source: pathToFileURL(file).href }] })) as IngestResult;
    expect(backfill).toMatchObject({ status: "published", counts: { updated: 1 } });
    await store.put(`${ROOT}inbox/${consumed[0]}`, ndjson([click("d", 4)]), { kind: "create" });
    const next = await bed.post(RECORDS, ndjson([click("e", 5)]), ndjsonHeaders(TOKENS.all));
    expect(next.status).toBe(202);
    expect(await compact()).toMatchObject({ status: "published", counts: { inserted: 1, updated: 0 } });
    expect(await inbox()).toEqual([]);
  });

  it("a run started under another id (a Schedule) while the compaction runs hands over to it: it signals compact and ends handed-over", async () => {
    const holder = await client.workflow.start("ingestDataset", { workflowId: ingestWorkflowId(DATASET), taskQueue: uniqueTaskQueue("nobody-polls"), args: [{ dataset: DATASET }] });
    try {
      const result = (await client.workflow.execute("ingestDataset", { workflowId: `${DATASET}-scheduled-1`, taskQueue, args: [{ dataset: DATASET }] })) as IngestResult;
      expect(result).toMatchObject({ status: "handed-over", workflowId: ingestWorkflowId(DATASET), runId: holder.firstExecutionRunId });
      const signals = ((await holder.fetchHistory()).events ?? []).filter((e) => e.workflowExecutionSignaledEventAttributes).map((e) => e.workflowExecutionSignaledEventAttributes!.signalName);
      expect(signals).toEqual(["compact"]);
    } finally {
      await holder.terminate("test over");
    }
  });

  it("gc deletes a consumed fragment left behind and keeps an unconsumed one whatever its age", async () => {
    const pointer = parsePointer((await store.get(`${ROOT}current/manifest.json`)).body);
    const manifest = parseVersionManifest((await store.get(ROOT + pointer.manifest)).body);
    const consumed = manifest.source.fragments![0];
    await store.put(`${ROOT}inbox/${consumed}`, ndjson([click("a", 1)]), { kind: "create" });
    const res = await bed.post(RECORDS, ndjson([click("c", 3)]), ndjsonHeaders(TOKENS.all));
    const pending = String(res.body.fragment);
    expect((await inbox()).sort()).toEqual([consumed, pending].sort());
    const gc = (await client.workflow.execute("collectGarbage", { workflowId: `tidemark/gc/${DATASET}`, taskQueue, args: [{ dataset: DATASET, olderThan: 0 }] })) as GcResult;
    expect(gc.keys).toEqual([`inbox/${consumed}`]);
    expect(await inbox()).toEqual([pending]);
    expect(await compact()).toMatchObject({ status: "published", counts: { inserted: 1, rowsTotal: 5 } });
  });
});

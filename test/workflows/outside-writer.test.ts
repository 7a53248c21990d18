import type { Client } from "@temporalio/client";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IngestResult } from "../../src/contracts";
import { parsePointer, parseVersionManifest } from "../../src/manifest/schema";
import { ingestWorkflowId } from "../../src/one-writer";
import { FsObjectStore } from "../../src/store/fs";
import { OUTSIDE_NAMESPACE } from "../support/global-setup";
import { recordingStore } from "../support/recording-store";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { keyOf, monthlySeries, toCsv, workspace, type SeriesRow } from "./ingest-fixtures";
import { readProjectionRows } from "./read-back";
import { monthFiles } from "../../src/manifest/month-files";

/**
 * A second Tidemark deployment (another Temporal namespace, same store) publishes between our
 * delta and our CAS: our CAS loses, our run re-plans on the outside version, and the final state
 * holds both changes — no lost update. The re-plan publishes under a new version id that sorts
 * after the outside version: no key is written twice (SPEC §2).
 */
describe("a CAS lost to an outside writer re-plans on the new base", () => {
  const dataset = `outside_${Date.now().toString(36)}`;
  const ws = workspace(dataset, "upsert");
  const store = new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-outside-")));
  const ours = uniqueTaskQueue("ours");
  const theirs = uniqueTaskQueue("theirs");
  const outsideSource = join(ws.dir, "outside.csv");
  let client: Client;
  let outsideClient: Client;
  let workers: RunningWorker[] = [];
  let outsideResult: IngestResult | undefined;
  let armed = false;
  const recorded = recordingStore(store);

  beforeAll(async () => {
    client = await testClient();
    outsideClient = await testClient(OUTSIDE_NAMESPACE);
    workers = [
      await startTestWorker({
        store: recorded.store, datasetsDir: ws.datasetsDir, taskQueue: ours, client,
        faults: async (point) => {
          if (point !== "publish:before-cas" || !armed || outsideResult) return;
          outsideResult = (await outsideClient.workflow.execute("ingestDataset", {
            workflowId: ingestWorkflowId(dataset), taskQueue: theirs, args: [{ dataset, source: `file://${outsideSource}` }],
          })) as IngestResult;
          recorded.label("re-plan");
        },
      }),
      await startTestWorker({ store, datasetsDir: ws.datasetsDir, taskQueue: theirs, client: outsideClient, namespace: OUTSIDE_NAMESPACE }),
    ];
  });
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await client?.connection.close();
    await outsideClient?.connection.close();
  });

  it("publishes on top of the outside version with both changes", async () => {
    const v1 = monthlySeries(["A", "B"], "2024-01", 3, (_s, m) => m);
    ws.writeSource(v1);
    const first = (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue: ours, args: [{ dataset }] })) as IngestResult;
    expect(first.status).toBe("published");

    const outsideRows = monthlySeries(["Z"], "2024-02", 2, () => 42);
    writeFileSync(outsideSource, toCsv(outsideRows));
    const ourRows = v1.map((r) => (r.series_id === "A" ? { ...r, value: (r.value ?? 0) + 0.5 } : r));
    ws.writeSource(ourRows);
    armed = true;
    recorded.label("first plan");

    const result = (await client.workflow.execute("ingestDataset", { workflowId: ingestWorkflowId(dataset), taskQueue: ours, args: [{ dataset }] })) as IngestResult;
    expect(outsideResult).toMatchObject({ status: "published", parentVersion: first.version });
    expect(result).toMatchObject({ status: "published", attempts: 2, parentVersion: outsideResult!.version, counts: { updated: 3, inserted: 0, rowsTotal: 8 } });

    const expected = new Map<string, SeriesRow>();
    for (const r of [...v1, ...outsideRows, ...ourRows]) expected.set(keyOf(r), r);
    const rows = await readProjectionRows(store, dataset);
    expect(rows).toEqual([...expected.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b))));

    const root = `datasets/${dataset}/`;
    const pointer = parsePointer((await store.get(`${root}current/manifest.json`)).body);
    expect(pointer).toMatchObject({ current_version: result.version, parent_version: outsideResult!.version });
    const referenced = new Set<string>([`${root}current/manifest.json`]);
    for (const v of [first.version, outsideResult!.version, result.version]) {
      const m = parseVersionManifest((await store.get(`${root}events/${v}/manifest.json`)).body);
      referenced.add(`${root}events/${v}/manifest.json`);
      for (const e of m.events) referenced.add(root + e.path);
      for (const i of m.index) referenced.add(root + i.path);
      for (const months of Object.values(m.projections)) for (const f of Object.values(months).flatMap(monthFiles)) referenced.add(root + f.path);
    }
    const present: string[] = [];
    for await (const o of store.list(root)) present.push(o.key);
    expect(present.filter((k) => !referenced.has(k))).toEqual([]);

    const created = (label: string) =>
      new Set(recorded.writes.filter((w) => w.label === label && w.op !== "delete" && !w.key.includes("/runs/") && !w.key.endsWith("current/manifest.json")).map((w) => w.key));
    const firstPlan = created("first plan");
    const rePlan = created("re-plan");
    const firstVersion = /events\/([^/]+)\/manifest\.json$/.exec([...firstPlan].find((k) => k.endsWith("/manifest.json"))!)![1];
    expect(firstVersion).not.toBe(result.version);
    expect(result.version > outsideResult!.version).toBe(true);
    expect(rePlan.size).toBeGreaterThan(0);
    expect([...rePlan].filter((k) => firstPlan.has(k))).toEqual([]);
    expect([...firstPlan].filter((k) => !k.includes(firstVersion))).toEqual([]);
  });
});

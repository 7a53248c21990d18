import { WorkflowFailedError } from "@temporalio/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rootFailure } from "../../src/cli/failure";
import { ingestWorkflowId } from "../../src/one-writer";
import { maintenanceBed, threeVersions, type MaintenanceBed } from "./maintenance-helpers";
import { readProjectionRows } from "./read-back";

const FAKE = "20200101T000000000Z-deadbeef";
const JUNK = [
  `events/${FAKE}/data/year=2024/month=01/part-00000.parquet`,
  `index/${FAKE}/keys.parquet`,
  `projections/latest/year=2024/month=01/${FAKE}.parquet`,
  `runs/${FAKE}/normalized.parquet`,
  `runs/${FAKE}/source`,
];

const { sources, final } = threeVersions();
let bed: MaintenanceBed;
let hold: Promise<void> | null = null;
let reachedCas: () => void = () => {};

beforeAll(async () => {
  bed = await maintenanceBed("gc", async (point) => {
    if (point !== "publish:before-cas" || !hold) return;
    reachedCas();
    await hold;
  });
  for (const rows of sources.slice(0, 2)) {
    bed.writeSource(rows);
    expect((await bed.ingest()).status).toBe("published");
  }
});
afterAll(async () => {
  await bed?.close();
});

describe("collectGarbage on the real dev server [file store]", () => {
  let published: string[];

  it("deletes nothing when the dataset has no garbage", async () => {
    published = await bed.keys();
    const result = await bed.gc({ olderThan: 0 });
    expect(result).toMatchObject({ deleted: 0, young: 0, referenced: published.length, scanned: published.length, keys: [] });
    expect(await bed.keys()).toEqual(published);
  });

  it("keeps orphans younger than the age threshold", async () => {
    for (const path of JUNK) await bed.store.put(bed.root + path, `junk ${path}`, { kind: "create" });
    const result = await bed.gc({ olderThan: "1h" });
    expect(result).toMatchObject({ deleted: 0, young: JUNK.length, olderThanMs: 3_600_000, keys: [] });
    expect(await bed.keys()).toEqual([...published, ...JUNK].sort());
  });

  it("a dry run lists exactly the orphans and deletes nothing", async () => {
    const result = await bed.gc({ olderThan: 0, dryRun: true });
    expect(result).toMatchObject({ dryRun: true, deleted: JUNK.length, referenced: published.length, truncated: false });
    expect(result.keys).toEqual(JUNK);
    expect(result.bytes).toBe(JUNK.reduce((n, p) => n + `junk ${p}`.length, 0));
    expect(await bed.keys()).toEqual([...published, ...JUNK].sort());
  });

  it("deletes exactly the orphans and nothing referenced; the dataset stays clean", async () => {
    const result = await bed.gc({ olderThan: "0" });
    expect(result).toMatchObject({ dryRun: false, deleted: JUNK.length, keys: JUNK });
    expect(await bed.keys()).toEqual(published);
    expect((await bed.verify()).findings).toEqual([]);
  });

  it("refuses while an ingest of the dataset runs, and that run then publishes untouched", async () => {
    let release: () => void = () => {};
    hold = new Promise<void>((resolve) => (release = resolve));
    const atCas = new Promise<void>((resolve) => (reachedCas = resolve));
    bed.writeSource(sources[2]);
    const running = bed.ingest();
    try {
      await atCas;
      const err = await bed.gc({ olderThan: 0 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const root = rootFailure(err);
      expect(root.type).toBe("IngestRunningError");
      expect(root.message).toContain(`is being ingested by workflow ${ingestWorkflowId(bed.dataset)}`);
      const desc = await bed.client.workflow.getHandle(ingestWorkflowId(bed.dataset)).describe();
      expect(desc.status.name).toBe("RUNNING");
    } finally {
      hold = null;
      release();
    }
    expect((await running).status).toBe("published");
    expect(await readProjectionRows(bed.store, bed.dataset)).toEqual(final);
    expect((await bed.gc({ olderThan: 0 })).deleted).toBe(0);
    expect((await bed.verify()).findings).toEqual([]);
  });

  it("rejects an age it cannot parse with a non-retryable error", async () => {
    const err = await bed.gc({ olderThan: "soon" }).catch((e: unknown) => e);
    expect(rootFailure(err)).toMatchObject({ type: "InvalidGcAgeError", message: expect.stringContaining('The age "soon" is not a duration') });
  });

  it("refuses to guess what is referenced when the version chain is broken", async () => {
    const m = await bed.current();
    const restore = await bed.replace(`events/${m.parent_version}/manifest.json`, null);
    try {
      const err = await bed.gc({ olderThan: 0 }).catch((e: unknown) => e);
      expect(rootFailure(err)).toMatchObject({ type: "GcUnsafeError", message: expect.stringContaining("version chain is damaged") });
    } finally {
      await restore();
    }
  });

  it("refuses after a run was terminated while its publish attempt was at the CAS; that attempt then lands and the dataset stays whole (last: gc refuses for two minutes after)", async () => {
    let release: () => void = () => {};
    hold = new Promise<void>((resolve) => (release = resolve));
    const atCas = new Promise<void>((resolve) => (reachedCas = resolve));
    const before = (await bed.current()).version;
    bed.writeSource(sources[0]);
    const running = bed.ingest().catch((e: unknown) => e);
    const handle = bed.client.workflow.getHandle(ingestWorkflowId(bed.dataset));
    try {
      await atCas;
      const heldRun = (await handle.describe()).runId;
      await handle.terminate("test: an operator ends the run while its publish attempt is at the CAS");
      expect((await handle.describe()).status.name).toBe("TERMINATED");
      const err = await bed.gc({ olderThan: 0 }).catch((e: unknown) => e);
      expect(rootFailure(err)).toMatchObject({ type: "PublishMayLandError", message: expect.stringContaining(`run ${heldRun} was ended`) });
      const newer = await bed.client.workflow.start("ingestDataset", { workflowId: ingestWorkflowId(bed.dataset), taskQueue: `${bed.taskQueue}-nobody-polls`, args: [{ dataset: bed.dataset }] });
      await newer.terminate("test: a newer run under the id, ended before any publish");
      expect((await handle.describe()).runId).not.toBe(heldRun);
      const again = await bed.gc({ olderThan: 0 }).catch((e: unknown) => e);
      expect(rootFailure(again)).toMatchObject({ type: "PublishMayLandError", message: expect.stringContaining(`run ${heldRun} was ended`) });
    } finally {
      hold = null;
      release();
    }
    expect(await running).toBeInstanceOf(WorkflowFailedError);
    const deadline = Date.now() + 60_000;
    while ((await bed.current()).version === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect((await bed.current()).version).not.toBe(before);
    expect((await bed.verify()).findings).toEqual([]);
  });
});

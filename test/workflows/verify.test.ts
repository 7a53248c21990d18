import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { VerifyResult } from "../../src/maintenance";
import { services } from "../support/services";
import { Table } from "apache-arrow";
import { WorkflowFailedError } from "@temporalio/client";
import { ApplicationFailure } from "@temporalio/common";
import { decodeParquet, encodeParquet, float64Column, tableFrom } from "../../src/parquet";
import { serializeJson } from "../../src/manifest/schema";
import { readProjectionRows } from "./read-back";
import { maintenanceBed, threeVersions, type MaintenanceBed } from "./maintenance-helpers";
import { monthFiles } from "../../src/manifest/month-files";

const { sources, final } = threeVersions();
let bed: MaintenanceBed;
let failRepair = false;

beforeAll(async () => {
  bed = await maintenanceBed("verify", (point) => {
    if (failRepair && point === "repair:before-cas") throw ApplicationFailure.nonRetryable("injected failure before the repair CAS", "InjectedFault");
  });
  for (const rows of sources) {
    bed.writeSource(rows);
    expect((await bed.ingest()).status).toBe("published");
  }
});
afterAll(async () => {
  await bed?.close();
});

function firstRows(table: Table, n: number): Table {
  return table.slice(0, n);
}

describe("verifyDataset on the real dev server [file store]", () => {
  it("finds nothing wrong with three ingested versions", async () => {
    const result = await bed.verify();
    expect(result.findings).toEqual([]);
    expect(result.remaining).toEqual([]);
    expect(result.version).toBe((await bed.current()).version);
  });

  it("reports a deleted projection file", async () => {
    const path = monthFiles((await bed.current()).projections.latest["2024-03"])[0].path;
    const restore = await bed.replace(path, null);
    try {
      const { findings } = await bed.verify();
      expect(findings).toEqual([{ check: "projection", object: path, problem: "The object is missing although the manifest references it." }]);
    } finally {
      await restore();
    }
    expect((await bed.verify()).findings).toEqual([]);
  });

  it("reports a projection whose rows carry the wrong values", async () => {
    const path = monthFiles((await bed.current()).projections.latest["2024-04"])[0].path;
    const good = decodeParquet((await bed.store.get(bed.root + path)).body);
    const bad = tableFrom({ series_id: good.getChild("series_id")!, obs_date: good.getChild("obs_date")!, value: float64Column(new Float64Array(good.numRows).fill(-1)) });
    const restore = await bed.replace(path, encodeParquet(bad));
    try {
      const { findings } = await bed.verify();
      expect(findings.filter((f) => !f.problem.includes("bytes but the manifest records"))).toEqual([
        { check: "projection", object: path, problem: 'Month 2024-04 of projection latest differs from the fold of the events: 3 keys have a different row hash or month than the events; rebuild it with "tidemark verify --repair".' },
      ]);
    } finally {
      await restore();
    }
  });

  it("reports a projection holding rows of another month: missing keys and keys present twice", async () => {
    const m = await bed.current();
    const path = monthFiles(m.projections.latest["2024-04"])[0].path;
    const other = decodeParquet((await bed.store.get(bed.root + monthFiles(m.projections.latest["2024-01"])[0].path)).body);
    const restore = await bed.replace(path, encodeParquet(firstRows(other, 2)));
    try {
      const { findings } = await bed.verify();
      expect(findings.every((f) => f.check === "projection" && f.object === path)).toBe(true);
      expect(findings.map((f) => f.problem)).toContainEqual("The object holds 2 rows but the manifest records 3.");
      expect(findings.map((f) => f.problem)).toContainEqual(
        'Month 2024-04 of projection latest differs from the fold of the events: 3 live keys of the events are missing, 2 keys are not live in the events, 2 keys also appear in another month; rebuild it with "tidemark verify --repair".',
      );
    } finally {
      await restore();
    }
  });

  it("reports an index missing one key", async () => {
    const m = await bed.current();
    const path = m.index[0].path;
    const index = decodeParquet((await bed.store.get(bed.root + path)).body);
    const restore = await bed.replace(path, encodeParquet(firstRows(index, index.numRows - 1)));
    try {
      const { findings } = await bed.verify();
      expect(findings.every((f) => f.check === "index" && f.object === path)).toBe(true);
      expect(findings.map((f) => f.problem)).toContainEqual(`The object holds ${index.numRows - 1} rows but the manifest records ${index.numRows}.`);
      expect(findings.map((f) => f.problem)).toContainEqual('The index differs from the fold of the events: 1 live keys of the events are missing; rebuild it with "tidemark verify --repair".');
    } finally {
      await restore();
    }
  });

  it("reports a broken version chain when a parent manifest is gone, and refuses to repair", async () => {
    const m = await bed.current();
    const parent = `events/${m.parent_version}/manifest.json`;
    const restore = await bed.replace(parent, null);
    try {
      const result = await bed.verify(true);
      expect(result.findings).toEqual([{ check: "chain", object: parent, problem: expect.stringContaining(`parent of ${m.version}, is missing, so the version chain is broken`) }]);
      expect(result.repair).toMatchObject({ status: "skipped" });
      expect((await bed.current()).version).toBe(m.version);
    } finally {
      await restore();
    }
  });

  it("reports a missing event file and does not repair, saying what to do", async () => {
    const m = await bed.current();
    const restore = await bed.replace(m.events[0].path, null);
    try {
      const result = await bed.verify(true);
      expect(result.findings).toContainEqual({ check: "events", object: m.events[0].path, problem: "The object is missing although the manifest references it." });
      expect(result.repair).toEqual({ status: "skipped", reason: expect.stringContaining("restore those from a backup, then run verify --repair again") });
      expect(result.remaining).toEqual(result.findings);
      expect((await bed.current()).version).toBe(m.version);
    } finally {
      await restore();
    }
  });

  it("is startable with plain `temporal workflow execute` under any id", async () => {
    const { temporal } = services();
    const id = `adhoc-verify-${Date.now()}`;
    const cli = await promisify(execFile)(
      temporal.binary,
      ["workflow", "execute", "--address", temporal.address, "--type", "verifyDataset", "--task-queue", bed.taskQueue, "--workflow-id", id, "--input", JSON.stringify({ dataset: bed.dataset }), "-o", "json"],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(JSON.parse(cli.stdout)).toMatchObject({ status: "COMPLETED" });
    const result = (await bed.client.workflow.getHandle(id).result()) as VerifyResult;
    expect(result).toMatchObject({ dataset: bed.dataset, findings: [], remaining: [] });
  });

  it("reports a recorded size that differs from the object", async () => {
    const m = await bed.current();
    const path = `events/${m.version}/manifest.json`;
    const changed = { ...m, events: m.events.map((e, i) => (i === 0 ? { ...e, bytes: e.bytes + 1 } : e)) };
    const restore = await bed.replace(path, serializeJson(changed));
    try {
      const result = await bed.verify(true);
      expect(result.findings).toEqual([{ check: "events", object: m.events[0].path, problem: `The object is ${m.events[0].bytes} bytes but the manifest records ${m.events[0].bytes + 1}.` }]);
      expect(result.repair).toMatchObject({ status: "skipped", reason: expect.stringContaining("cannot be derived") });
    } finally {
      await restore();
    }
  });

  it("reports an event file whose rows fall in partitions its manifest entry does not list", async () => {
    const m = await bed.current();
    const [events] = m.events;
    if (!("months" in events)) throw new Error("expected a version's single event file");
    const path = `events/${m.version}/manifest.json`;
    const [dropped, ...kept] = events.months;
    const restore = await bed.replace(path, serializeJson({ ...m, events: [{ ...events, months: [...kept, "1999-01"] }] }));
    try {
      const result = await bed.verify(false);
      expect(result.findings).toContainEqual({
        check: "events",
        object: events.path,
        problem: `The event file holds rows of ${dropped}, which its manifest entry does not list and holds no row of 1999-01, which its manifest entry lists; the events are inconsistent — restore them from a backup.`,
      });
    } finally {
      await restore();
    }
  });

  it("a repair that fails before its CAS runs its compensations: nothing of it remains", async () => {
    const m = await bed.current();
    const restore = await bed.replace(monthFiles(m.projections.latest["2024-05"])[0].path, null);
    const keysBefore = await bed.keys();
    failRepair = true;
    try {
      const err = await bed.verify(true).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      expect(await bed.keys()).toEqual(keysBefore);
      expect((await bed.current()).version).toBe(m.version);
    } finally {
      failRepair = false;
      await restore();
    }
  });

  it("repairs a wrong index and projections as a new version whose data equals the source", async () => {
    const before = await bed.current();
    const index = decodeParquet((await bed.store.get(bed.root + before.index[0].path)).body);
    await bed.replace(before.index[0].path, encodeParquet(firstRows(index, 5)));
    await bed.replace(monthFiles(before.projections.latest["2024-02"])[0].path, null);
    const wrong = decodeParquet((await bed.store.get(bed.root + monthFiles(before.projections.latest["2024-01"])[0].path)).body);
    await bed.replace(monthFiles(before.projections.latest["2024-06"])[0].path, encodeParquet(wrong));
    const result = await bed.verify(true);
    expect(result.findings.map((f) => f.check).sort()).toEqual(["index", "index", "index", "projection", "projection", "projection", "projection"]);
    expect(result.repair).toMatchObject({ status: "published" });
    expect(result.remaining).toEqual([]);
    const after = await bed.current();
    expect(after.version).toBe(result.repair!.status === "published" ? result.repair!.version : "");
    expect(after).toMatchObject({ parent_version: before.version, events: [], totals: { rows_total: final.length, inserted: 0, updated: 0, deleted: 0 } });
    expect(Object.keys(after.projections.latest)).toEqual(Object.keys(before.projections.latest));
    expect(await readProjectionRows(bed.store, bed.dataset)).toEqual(final);
    expect((await bed.verify()).findings).toEqual([]);
  });

  it("an ingest after a repair publishes on top of it and stays clean", async () => {
    const next = sources[2].map((r) => (r.series_id === "C" ? { ...r, value: 1 } : r));
    bed.writeSource(next);
    expect((await bed.ingest()).status).toBe("published");
    expect((await bed.verify()).findings).toEqual([]);
  });
});

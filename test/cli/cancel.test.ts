import type { Client } from "@temporalio/client";
import { temporal } from "@temporalio/proto";
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cancelReport } from "../../src/cli/commands/cancel";
import { VERSION_KEY } from "../../src/cli/runs";
import type { IngestResult } from "../../src/contracts";
import { ingestWorkflowId } from "../../src/one-writer";
import type { FsObjectStore } from "../../src/store/fs";
import { hiddenLeftovers } from "../crash/checks";
import { withDeadline } from "../support/deadline";
import { startCliBed, type CliBed } from "./bed";
import { eventually, runCli, startCli } from "./helpers";

/** A fault point the worker stops at once, until the test releases it. */
interface Hold {
  point: string;
  reached: Promise<void>;
  release(): void;
}

/**
 * `tidemark cancel` against runs stopped at a known point by the worker's fault hook (real dev
 * server, fs store, in-process worker): the CLI reports the compensations the run's history shows
 * completed, and the store shows nothing of the version is left and the pointer did not move.
 */
describe("tidemark cancel after the run wrote", { timeout: 180_000 }, () => {
  const DS = `cancel_${Date.now().toString(36)}`;
  const seen: string[] = [];
  let hold: (Hold & { arrive(): void; gate: Promise<void> }) | undefined;
  let bed: CliBed;
  let source: string;
  let storeDir: string;
  let store: FsObjectStore;
  let client: Client;
  let env: Record<string, string>;

  beforeAll(async () => {
    bed = await startCliBed("cancel", DS, async (point) => {
      seen.push(point);
      const h = hold;
      if (h?.point !== point) return;
      hold = undefined;
      h.arrive();
      await h.gate;
    });
    ({ source, storeDir, store, client, env } = bed);
  });
  afterAll(async () => {
    await bed?.stop();
  });

  const holdAt = (point: string): Hold => {
    let arrive!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((resolve) => (arrive = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    hold = { point, reached, release, arrive, gate };
    return { point, reached, release };
  };

  const listing = async (prefix = "") => {
    const keys: string[] = [];
    for await (const o of store.list(`datasets/${DS}/${prefix}`)) keys.push(o.key);
    return keys;
  };

  const cancelledRequested = async (workflowId: string, runId: string) => {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    return history.events?.some((e) => e.eventType === temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED) ? true : undefined;
  };

  /**
   * Starts an ingest the worker holds at `point`, runs `whileHeld` with the run's version, then
   * `tidemark cancel DS <cancelArgs>`, releasing the run once the cancel request is in its history.
   */
  const cancelHeldRun = async (point: string, cancelArgs: string[], whileHeld: (version: string | undefined) => Promise<void> = async () => {}) => {
    const h = holdAt(point);
    const started = await runCli(["ingest", DS, "--json"], env);
    expect(started.code, started.stderr).toBe(0);
    const { runId } = JSON.parse(started.stdout) as { runId: string };
    const workflowId = ingestWorkflowId(DS);
    await withDeadline(h.reached, 60_000, `the run reaching ${point}`);
    const version = (await client.workflow.getHandle(workflowId, runId).describe()).typedSearchAttributes.get(VERSION_KEY);
    await whileHeld(version);
    const cancel = startCli(["cancel", DS, ...cancelArgs], env);
    try {
      await eventually(() => cancelledRequested(workflowId, runId), 30_000, "the cancel request reaching the run");
    } finally {
      h.release();
    }
    const run = await cancel.done;
    expect(run.code, run.stderr).toBe(0);
    return { runId, workflowId, version: version!, run };
  };

  it.each([
    { after: "prepare", point: "prepare:end", wrote: "index/", undo: ["delete index of", "delete run scratch of"] },
    { after: "write", point: "write:end", wrote: "projections/", undo: ["delete projections of", "delete events of", "delete index of", "delete run scratch of"] },
  ])("a cancel landing after $after runs the compensations and leaves the store as it was", async ({ point, wrote, undo }) => {
    const pointer = (await store.get(`datasets/${DS}/current/manifest.json`)).body.toString();
    const before = await listing();
    writeFileSync(source, `series_id,obs_date,value\nA,2025-01-01,1\nA,2025-02-01,${seen.length}\nC,2025-04-01,5\n`);
    let written: string[] = [];
    const { runId, workflowId, version, run } = await cancelHeldRun(point, ["--json"], async (held) => {
      expect(held).toBeTruthy();
      written = (await listing(wrote)).filter((k) => k.includes(held!));
      expect(written.length).toBeGreaterThan(0);
    });
    const out = JSON.parse(run.stdout) as { outcome: string; version: string; compensations: string[]; currentVersion: string; leftoverObjects: number };
    expect(out).toMatchObject({ outcome: "cancelled", version, leftoverObjects: 0 });
    for (const u of undo) expect(out.compensations).toContain(`undo: ${u} ${version}`);
    expect((await client.workflow.getHandle(workflowId, runId).describe()).status.name).toBe("CANCELLED");
    expect((await store.get(`datasets/${DS}/current/manifest.json`)).body.toString()).toBe(pointer);
    expect(await listing()).toEqual(before);
    expect(hiddenLeftovers(storeDir)).toEqual([]);
    console.log(`[cancel] after ${point}: ${written.length} ${wrote} objects of ${version} were written; compensations: ${out.compensations.join("; ")}`);
  });

  it("a cancel landing while publish is held at the CAS: the run publishes and the CLI says so", async () => {
    writeFileSync(source, "series_id,obs_date,value\nA,2025-01-01,11\nD,2025-05-01,4\n");
    const { runId, workflowId, version, run } = await cancelHeldRun("publish:before-cas", []);
    expect(run.stdout).toContain(`the run published ${version} before the cancel took effect`);
    expect((await client.workflow.getHandle(workflowId, runId).describe()).status.name).toBe("COMPLETED");
    expect(JSON.parse((await store.get(`datasets/${DS}/current/manifest.json`)).body.toString()).current_version).toBe(version);
  });

  it("says in words which compensations ran", async () => {
    writeFileSync(source, "series_id,obs_date,value\nA,2025-01-01,9\n");
    const { runId, version, run } = await cancelHeldRun("write:end", []);
    expect(run.stdout).toContain(`cancelled ${ingestWorkflowId(DS)} run ${runId}; compensations ran: `);
    expect(run.stdout).toContain(`delete events of ${version}`);
    expect(run.stdout).toContain("nothing was published; nothing it wrote is left.");
  });

  it("a cancel reaching an optimize held at its CAS: the optimize publishes and the CLI describes it", async () => {
    for (const rows of ["A,2025-01-01,11\nD,2025-05-01,4\n", "A,2025-01-01,11\nD,2025-05-01,4\nE,2025-05-01,6\n"]) {
      writeFileSync(source, `series_id,obs_date,value\n${rows}`);
      const ingested = await runCli(["ingest", DS, "--wait", "--json"], env);
      expect(ingested.code, ingested.stderr).toBe(0);
    }
    const parts = JSON.parse((await runCli(["files", DS, "--month", "2025-05", "--json"], env)).stdout).files as unknown[];
    expect(parts).toHaveLength(2);
    const h = holdAt("optimize:before-cas");
    const started = await runCli(["optimize", DS, "--all", "--json"], env);
    expect(started.code, started.stderr).toBe(0);
    const { runId } = JSON.parse(started.stdout) as { runId: string };
    const workflowId = ingestWorkflowId(DS);
    await withDeadline(h.reached, 60_000, "the optimize reaching its CAS");
    const version = (await client.workflow.getHandle(workflowId, runId).describe()).typedSearchAttributes.get(VERSION_KEY);
    const cancel = startCli(["cancel", DS], env);
    try {
      await eventually(() => cancelledRequested(workflowId, runId), 30_000, "the cancel request reaching the optimize");
    } finally {
      h.release();
    }
    const run = await cancel.done;
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`the run published ${version} before the cancel took effect (optimize: 1 month merged from 2 part files); it stays current.\n`);
    expect((await client.workflow.getHandle(workflowId, runId).describe()).status.name).toBe("COMPLETED");
    expect(JSON.parse((await store.get(`datasets/${DS}/current/manifest.json`)).body.toString()).current_version).toBe(version);
  });

});

describe("cancelReport", () => {
  const run = "tidemark/ingest/d run r1";
  const result = { dataset: "d", status: "published", version: "v2", parentVersion: "v1", counts: { inserted: 1, updated: 0, deleted: 0, unchanged: 0, rowsTotal: 1 }, months: [], attempts: 1, workflowId: "w", runId: "r1" } as unknown as IngestResult;

  it("reports a run that published before the cancel took effect from its result", () => {
    expect(cancelReport(run, "d", "v2", { kind: "completed", result }, { current: undefined, remaining: null })).toBe("the run published v2 before the cancel took effect (published (+1 ~0 -0, 1 rows)); it stays current.");
  });

  it("names only the compensations the history shows completed", () => {
    expect(cancelReport(run, "d", "v2", { kind: "cancelled", compensations: ["undo: delete events of v2", "undo: delete run scratch of v2"] }, { current: "v1", remaining: 0 })).toBe(
      "cancelled tidemark/ingest/d run r1; compensations ran: delete events of v2; delete run scratch of v2; nothing was published; nothing it wrote is left.",
    );
    expect(cancelReport(run, "d", "v2", { kind: "cancelled", compensations: [] }, { current: "v1", remaining: 3 })).toBe(
      'cancelled tidemark/ingest/d run r1; no compensation ran (nothing had been written yet); nothing was published; 3 objects remain, "tidemark gc d" removes them.',
    );
  });

  it("does not claim a clean cancel when the version is current", () => {
    expect(cancelReport(run, "d", "v2", { kind: "cancelled", compensations: ["undo: delete events of v2"] }, { current: "v2", remaining: null })).toBe(
      'cancelled tidemark/ingest/d run r1, but version v2 is current; compensations ran: delete events of v2 — run "tidemark verify d".',
    );
  });
});

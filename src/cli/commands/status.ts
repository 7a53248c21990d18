import type { Command } from "commander";
import { runUrl } from "../../config/runtime";
import { validateDatasetId } from "../../definition/id";
import { type Granularity, partitionGranularity } from "../../definition/partition";
import { TidemarkError } from "../../errors";
import { measureBacklog } from "../../intake/backlog";
import { setAsideNotice } from "../../intake/set-aside";
import { DatasetLayout } from "../../layout";
import { CliContext } from "../client";
import { parsePositiveInt } from "../options";
import { say, sayJson } from "../output";
import { textTable } from "../text-table";
import { recentRuns, runningIngest, type RunSummary } from "../runs";
import { describeSchedule, type ScheduleView } from "./schedule";
import { monthFiles } from "../../manifest/month-files";
import type { VersionManifest } from "../../manifest/schema";

/** The store reads of manifests, loaded when a command first reads the store. */
const manifestReads = () => import("../../manifest/read.js");

/** Nothing is known about a dataset: never published, never run, not scheduled. */
export class UnknownDatasetError extends TidemarkError {}

/** Everything `status` reports about a dataset. */
export interface DatasetStatus {
  dataset: string;
  store: string;
  current: {
    version: string;
    publishedAt: string;
    parentVersion: string | null;
    rowsTotal: number;
    inserted: number;
    updated: number;
    deleted: number;
    /** Partitions of the current version (SPEC §2: "month" means partition), each one `granularity` long. */
    months: number;
    /** Files of those months (a month of several parts counts each; `tidemark optimize` merges them). */
    files: number;
    /** The partition granularity: `year`, `month` or `day`. */
    granularity: Granularity;
    quarantined: { path: string; rows: number } | null;
    /** Inbox fragments this version set aside (push datasets), with the notice saying what to do. */
    setAside: { fragments: number; prefix: string; message: string } | null;
    url: string | null;
  } | null;
  running: { workflowId: string; runId: string; startedAt: string; step: string | null; rows: number | null; url: string } | null;
  runs: (RunSummary & { url: string })[];
  schedule: ScheduleView | null;
  /** A push dataset's inbox backlog (fragments not yet compacted); null when the inbox is empty. */
  inbox: { fragments: number; bytes: number; oldest: string; oldestAgeSeconds: number } | null;
}

/** Gathers the status of `dataset` from the store and Temporal. */
export async function datasetStatus(ctx: CliContext, dataset: string, runsLimit = 5): Promise<DatasetStatus> {
  const store = await ctx.store();
  const { uiUrl, temporal } = ctx.config;
  const link = (workflowId: string, runId: string) => runUrl(uiUrl, temporal.namespace, workflowId, runId);
  const pointerRead = await (await manifestReads()).readPointer(store, dataset);
  const client = await ctx.temporal();
  const [manifest, running, runs, schedule, backlog] = await Promise.all([
    pointerRead ? (await manifestReads()).readManifest(store, dataset, pointerRead.pointer.manifest) : null,
    runningIngest(client, dataset),
    recentRuns(client, dataset, runsLimit),
    describeSchedule(client, dataset),
    measureBacklog(store, dataset),
  ]);
  const current =
    pointerRead && manifest
      ? {
          version: pointerRead.pointer.current_version,
          publishedAt: pointerRead.pointer.published_at,
          parentVersion: pointerRead.pointer.parent_version,
          rowsTotal: manifest.totals.rows_total,
          inserted: manifest.totals.inserted,
          updated: manifest.totals.updated,
          deleted: manifest.totals.deleted,
          months: Object.keys(manifest.projections.latest ?? Object.values(manifest.projections)[0] ?? {}).length,
          files: Object.values(manifest.projections.latest ?? Object.values(manifest.projections)[0] ?? {}).flatMap(monthFiles).length,
          granularity: partitionGranularity(manifest.schema.partition_by),
          quarantined: manifest.quarantine ?? null,
          setAside: manifest.source.set_aside?.length ? setAsideNotice(manifest.source.set_aside, quarantinePrefix(dataset, manifest)) : null,
          url: manifest.run.workflow_id && manifest.run.run_id ? link(manifest.run.workflow_id, manifest.run.run_id) : null,
        }
      : null;
  return {
    dataset,
    store: store.url,
    current,
    running: running
      ? {
          workflowId: running.workflowId,
          runId: running.runId,
          startedAt: running.startedAt,
          step: running.progress?.step ?? null,
          rows: running.progress?.rows ?? null,
          url: link(running.workflowId, running.runId),
        }
      : null,
    runs: runs.map((r) => ({ ...r, url: link(r.workflowId, r.runId) })),
    schedule,
    inbox:
      backlog.fragments > 0 && backlog.oldest
        ? { fragments: backlog.fragments, bytes: backlog.bytes, oldest: backlog.oldest.toISOString(), oldestAgeSeconds: Math.max(0, Math.round((Date.now() - backlog.oldest.getTime()) / 1000)) }
        : null,
  };
}

/** Store key prefix of the copies of the fragments `manifest`'s version set aside (its own, or the shared one of versions written before copies were kept per version). */
function quarantinePrefix(dataset: string, manifest: VersionManifest): string {
  const layout = new DatasetLayout(dataset);
  const own = manifest.source.set_aside?.some((entry) => entry.path !== undefined);
  return layout.key(layout.quarantinedFragments(own ? manifest.version : undefined));
}

function n(value: number): string {
  return value.toLocaleString("en-US");
}

/** A count of partitions in the granularity's word: "1 year", "3 months", "12 days". */
export function partitionCount(count: number, granularity: Granularity): string {
  return `${n(count)} ${granularity}${count === 1 ? "" : "s"}`;
}

function printStatus(s: DatasetStatus): void {
  say(`${s.dataset} (store ${s.store})`);
  if (s.current) {
    const c = s.current;
    say(`  current   ${c.version}, published ${c.publishedAt}`);
    say(`            ${n(c.rowsTotal)} row${c.rowsTotal === 1 ? "" : "s"} in ${partitionCount(c.months, c.granularity)}${c.files > c.months ? ` (${n(c.files)} files)` : ""}; this version inserted ${n(c.inserted)}, updated ${n(c.updated)}, deleted ${n(c.deleted)}`);
    if (c.quarantined) say(`            ${n(c.quarantined.rows)} bad rows quarantined, reasons in ${c.quarantined.path}`);
    if (c.setAside) say(`            ${c.setAside.message}`);
    if (c.url) say(`            ${c.url}`);
  } else {
    say(`  current   none: never published (ingest it with "tidemark ingest ${s.dataset}")`);
  }
  if (s.running) {
    const r = s.running;
    const step = r.step ? `step ${r.step}${r.rows ? `, ${n(r.rows)} rows read` : ""}` : "no worker answered the progress query (is one polling the task queue?)";
    say(`  running   ${r.workflowId} run ${r.runId} since ${r.startedAt}: ${step}`);
    say(`            ${r.url}  (cancel with "tidemark cancel ${s.dataset}")`);
  } else {
    say("  running   no ingest is running");
  }
  if (s.schedule) {
    const sc = s.schedule;
    say(`  schedule  ${sc.spec}, ${sc.paused ? `paused${sc.note ? ` (${sc.note})` : ""}` : `next run ${sc.nextRuns[0] ?? "not planned"}`}`);
  } else {
    say("  schedule  none");
  }
  if (s.inbox) {
    const b = s.inbox;
    say(`  inbox     ${n(b.fragments)} fragment${b.fragments === 1 ? "" : "s"}, ${n(b.bytes)} bytes waiting for compaction; oldest from ${b.oldest} (${n(b.oldestAgeSeconds)} s ago)`);
  }
  if (s.runs.length === 0) return say("  runs      none recorded in Temporal");
  say("  recent runs");
  const table = textTable(
    ["STARTED", "STATUS", "VIA", "VERSION", "OUTCOME"],
    s.runs.map((r) => [r.startedAt, r.status, r.trigger, r.status === "RUNNING" || r.published ? (r.version ?? "") : "", r.outcome]),
  );
  for (const line of table.split("\n")) say(`    ${line}`);
  say(`  latest run ${s.runs[0].url}`);
}

/** `tidemark status <dataset> [--json]`: current version, running ingest, recent runs and schedule. */
export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("show a dataset's current version, running ingest, recent runs and schedule")
    .argument("<dataset>", "dataset id")
    .option("--runs <n>", "how many recent runs to show", parsePositiveInt, 5)
    .option("--json", "machine-readable output")
    .action(async (dataset: string, opts: { json?: boolean; runs: number }) => {
      validateDatasetId(dataset);
      const ctx = new CliContext();
      try {
        const status = await datasetStatus(ctx, dataset, opts.runs);
        if (!status.current && !status.running && status.runs.length === 0 && !status.schedule && !status.inbox) {
          throw new UnknownDatasetError(
            `Dataset ${dataset} has no published version in ${status.store}, no runs and no schedule; ingest it with "tidemark ingest ${dataset}" or check TIDEMARK_STORE.`,
          );
        }
        if (opts.json) return sayJson(status);
        printStatus(status);
      } finally {
        await ctx.close();
      }
    });
}

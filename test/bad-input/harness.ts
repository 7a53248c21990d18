import type { Client } from "@temporalio/client";
import { WorkflowNotFoundError } from "@temporalio/client";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { SourceDeps } from "../../src/sources/open";
import { isValidDatasetId } from "../../src/definition";
import { NotFoundError } from "../../src/errors";
import type { ObjectStore } from "../../src/store/types";
import { FsObjectStore } from "../../src/store/fs";
import { runCli, type CliRun } from "../cli/helpers";
import { services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";

/** The columns every bad-input dataset declares, as YAML lines under `schema:`. */
export const SERIES_SCHEMA = [
  "schema:",
  "  columns:",
  "    - { name: series_id, type: string }",
  "    - { name: obs_date, type: date }",
  "    - { name: value, type: double }",
  "    - { name: count, type: int }",
  "  key: [series_id, obs_date]",
  "  partition_by: obs_date",
];

/** A good source for {@link SERIES_SCHEMA}. */
export const GOOD_CSV = "series_id,obs_date,value,count\nA,2025-01-01,1.5,1\nA,2025-02-01,2.5,2\nB,2025-01-01,3.5,3\n";

/** What the workflow history says about a failed run. */
export interface RunFailure {
  /** Error type of the failed activity (or of the workflow when no activity failed). */
  type: string | undefined;
  /** Attempts of the failed activity. */
  attempts: number;
  /** Whether the failure was marked non-retryable (by the worker's retryability interceptor, or by the workflow). */
  nonRetryable: boolean;
}

/** The state of a dataset's objects in the store: the pointer bytes and etag, and every key. */
export interface DatasetState {
  pointer: { etag: string; body: string } | null;
  keys: string[];
}

/** Which worker runs a case: each owns a task queue with its own store and source access. */
export type WorkerName = "fs" | string;

/** A bad-input test bench: a temp workspace, a fs-store worker and the CLI environment of each worker. */
export class Bench {
  readonly dir = mkdtempSync(join(tmpdir(), "tidemark-bad-input-"));
  readonly datasetsDir = join(this.dir, "datasets");
  readonly sourcesDir = join(this.dir, "sources");
  readonly store = new FsObjectStore(join(this.dir, "store"));
  client!: Client;
  private readonly workers = new Map<WorkerName, { running: RunningWorker; env: Record<string, string>; store: ObjectStore }>();

  constructor() {
    mkdirSync(this.datasetsDir);
    mkdirSync(this.sourcesDir);
    mkdirSync(join(this.dir, "store"));
  }

  /** Connects the client and starts the `fs` worker with `sources` (short HTTP timeout, few attempts). */
  async start(sources: SourceDeps): Promise<void> {
    this.client = await testClient();
    await this.addWorker("fs", this.store, sources, `file://${join(this.dir, "store")}`);
  }

  /** Starts another worker named `name` on its own task queue, with its own store and source access. */
  async addWorker(name: WorkerName, store: ObjectStore, sources: SourceDeps, storeUrl: string): Promise<void> {
    const taskQueue = uniqueTaskQueue(`bad-${name}`);
    const running = await startTestWorker({ store, datasetsDir: this.datasetsDir, taskQueue, client: this.client, sources });
    const { temporal } = services();
    const env = { TIDEMARK_STORE: storeUrl, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TIDEMARK_TASK_QUEUE: taskQueue, TIDEMARK_DATASETS: this.datasetsDir };
    this.workers.set(name, { running, env, store });
  }

  /** Stops every worker and removes the workspace. */
  async stop(): Promise<void> {
    for (const w of this.workers.values()) await w.running.stop();
    await this.client?.connection.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Writes a source file and returns its file:// URL. */
  source(name: string, content: string | Uint8Array): string {
    const path = join(this.sourcesDir, name);
    writeFileSync(path, content);
    return pathToFileURL(path).href;
  }

  /** Writes `datasets/<id>.yaml` for a CSV-like dataset reading `uri`, with extra top-level or `source` lines. */
  define(id: string, uri: string, opts: { format?: string; sourceOptions?: string; extra?: string[] } = {}): string {
    const path = join(this.datasetsDir, `${id}.yaml`);
    const options = opts.sourceOptions ? `, options: { ${opts.sourceOptions} }` : "";
    writeFileSync(path, [`id: ${id}`, `source: { uri: "${uri}", format: ${opts.format ?? "csv"}${options} }`, ...SERIES_SCHEMA, ...(opts.extra ?? []), ""].join("\n"));
    return path;
  }

  /** Writes a definition file outside the datasets directory and returns its path. */
  file(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text);
    return path;
  }

  /** Runs `tidemark ingest <target> --wait` against the worker `name`. */
  ingest(target: string, name: WorkerName = "fs"): Promise<CliRun> {
    return runCli(["ingest", target, "--wait"], this.env(name));
  }

  /** The CLI environment that targets worker `name`. */
  env(name: WorkerName): Record<string, string> {
    const w = this.workers.get(name);
    if (!w) throw new Error(`no worker named ${name}`);
    return w.env;
  }

  /** The store worker `name` writes to. */
  storeOf(name: WorkerName): ObjectStore {
    return this.workers.get(name)!.store;
  }

  /** The pointer (bytes and etag) and every key of `dataset` in `store`; every dataset's keys when the id is invalid. */
  async state(dataset: string, store: ObjectStore = this.store): Promise<DatasetState> {
    const keys: string[] = [];
    const valid = isValidDatasetId(dataset);
    for await (const o of store.list(valid ? `datasets/${dataset}/` : "datasets/")) keys.push(o.key);
    keys.sort();
    if (!valid) return { pointer: null, keys };
    let pointer: DatasetState["pointer"] = null;
    try {
      const res = await store.get(`datasets/${dataset}/current/manifest.json`);
      pointer = { etag: res.etag, body: Buffer.from(res.body).toString("utf8") };
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    return { pointer, keys };
  }

  /** Whether an ingest workflow of `dataset` was ever started. */
  async started(dataset: string): Promise<boolean> {
    try {
      await this.client.workflow.getHandle(`tidemark/ingest/${dataset}`).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** The failed activity (or local activity) of the latest ingest run of `dataset`, from its workflow history. */
  async failure(dataset: string): Promise<RunFailure> {
    const history = await this.client.workflow.getHandle(`tidemark/ingest/${dataset}`).fetchHistory();
    const events = history.events ?? [];
    const failed = events.find((e) => e.activityTaskFailedEventAttributes);
    const localFailed = events.find((e) => e.markerRecordedEventAttributes?.markerName === "core_local_activity" && e.markerRecordedEventAttributes.failure);
    if (!failed && localFailed) {
      const marker = localFailed.markerRecordedEventAttributes!;
      const data = JSON.parse(Buffer.from(marker.details!.data!.payloads![0].data!).toString()) as { attempt?: number };
      let f = marker.failure;
      while (f && !f.applicationFailureInfo) f = f.cause;
      return { type: f?.applicationFailureInfo?.type ?? undefined, attempts: data.attempt ?? 0, nonRetryable: f?.applicationFailureInfo?.nonRetryable === true };
    }
    if (!failed) {
      const wf = events.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes;
      return { type: wf?.failure?.applicationFailureInfo?.type ?? undefined, attempts: 0, nonRetryable: wf?.failure?.applicationFailureInfo?.nonRetryable === true };
    }
    const attrs = failed.activityTaskFailedEventAttributes!;
    const started = events.find((e) => Number(e.eventId) === Number(attrs.startedEventId));
    let f = attrs.failure;
    while (f && !f.applicationFailureInfo) f = f.cause;
    return { type: f?.applicationFailureInfo?.type ?? undefined, attempts: started?.activityTaskStartedEventAttributes?.attempt ?? 0, nonRetryable: f?.applicationFailureInfo?.nonRetryable === true };
  }
}

import type { Client } from "@temporalio/client";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect } from "vitest";
import { FsObjectStore } from "../../src/store/fs";
import { services } from "../support/services";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";
import { runCli, tempStore, writeDefinition } from "./helpers";

/** The three rows every CLI test bed's dataset starts from. */
export const FIRST_SOURCE = "series_id,obs_date,value\nA,2025-01-01,1\nA,2025-02-01,2\nB,2025-01-01,3\n";

/** An in-process worker on the real dev server with an fs store, one CSV dataset published once, and the CLI's environment for both. */
export interface CliBed {
  /** The dataset's CSV source (a file the test may rewrite between runs). */
  source: string;
  storeDir: string;
  store: FsObjectStore;
  client: Client;
  worker: RunningWorker;
  /** TIDEMARK_STORE, TEMPORAL_* and TIDEMARK_TASK_QUEUE for `runCli`. */
  env: Record<string, string>;
  /** Stops the worker, closes the client and removes the files. */
  stop(): Promise<void>;
}

/**
 * Starts a {@link CliBed} under a temporary directory named after `label`, with `dataset` defined over
 * {@link FIRST_SOURCE} and published by one `tidemark ingest --wait`; `faults` is the worker's fault hook.
 */
export async function startCliBed(label: string, dataset: string, faults?: (point: string) => void | Promise<void>): Promise<CliBed> {
  const work = tempStore(label);
  const datasets = join(work.dir, "datasets");
  const storeDir = join(work.dir, "store");
  const source = join(work.dir, "source.csv");
  const taskQueue = uniqueTaskQueue(label);
  mkdirSync(datasets);
  mkdirSync(storeDir);
  writeFileSync(source, FIRST_SOURCE);
  writeDefinition(datasets, dataset, pathToFileURL(source).href);
  const store = new FsObjectStore(storeDir);
  const client = await testClient();
  const worker = await startTestWorker({ store, datasetsDir: datasets, taskQueue, client, faults });
  const { temporal } = services();
  const env = { TIDEMARK_STORE: pathToFileURL(storeDir).href, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TIDEMARK_TASK_QUEUE: taskQueue };
  const stop = async () => {
    await worker.stop();
    await client.connection.close();
    work.cleanup();
  };
  try {
    const first = await runCli(["ingest", dataset, "--wait", "--json"], env);
    expect(first.code, first.stderr).toBe(0);
  } catch (err) {
    await stop();
    throw err;
  }
  return { source, storeDir, store, client, worker, env, stop };
}

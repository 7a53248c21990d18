import { cpSync, mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@temporalio/client";
import { parsePointer, parseVersionManifest, type VersionManifest } from "../../src/manifest/schema";
import { FsObjectStore } from "../../src/store/fs";
import { startTestWorker, testClient, uniqueTaskQueue, type RunningWorker } from "../support/temporal";

/** A copy of a committed fixture store with a worker on it (real dev server). */
export interface FixtureStore {
  readonly store: FsObjectStore;
  readonly client: Client;
  readonly taskQueue: string;
  /** The file (CSV unless asked for Parquet) the dataset's definition reads (write it before an ingest). */
  readonly sourcePath: string;
  /** The dataset's current version manifest. */
  current(): Promise<VersionManifest>;
  stop(): Promise<void>;
}

/**
 * Copies test/fixtures/stores/<fixture> (null: an empty store) to a temporary directory and starts a worker on it, with one
 * dataset definition: `id` and a `file://` source (CSV unless `format` says otherwise) are filled in, `rest` (YAML lines from
 * `schema:` on) is the fixture's.
 */
export async function openFixtureStore(fixture: string | null, dataset: string, rest: string[], format: "csv" | "parquet" = "csv"): Promise<FixtureStore> {
  const dir = mkdtempSync(join(tmpdir(), `tidemark-${fixture ?? "empty"}-`));
  if (fixture) cpSync(join(__dirname, "..", "fixtures", "stores", fixture), join(dir, "store"), { recursive: true });
  else mkdirSync(join(dir, "store"));
  const store = new FsObjectStore(join(dir, "store"));
  const datasetsDir = join(dir, "datasets");
  mkdirSync(datasetsDir);
  const sourcePath = join(dir, `source.${format}`);
  writeFileSync(join(datasetsDir, `${dataset}.yaml`), [`id: ${dataset}`, "source:", `  uri: file://${sourcePath}`, `  format: ${format}`, ...rest, ""].join("\n"));
  const taskQueue = uniqueTaskQueue(fixture ?? dataset);
  const client = await testClient();
  const worker: RunningWorker = await startTestWorker({ store, datasetsDir, taskQueue, client });
  return {
    store, client, taskQueue, sourcePath,
    async current() {
      const root = `datasets/${dataset}/`;
      const pointer = parsePointer((await store.get(`${root}current/manifest.json`)).body);
      return parseVersionManifest((await store.get(root + pointer.manifest)).body);
    },
    async stop() {
      await worker.stop();
      await client.connection.close();
    },
  };
}

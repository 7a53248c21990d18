import { cpSync, mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Client } from "@temporalio/client";
import { monthFiles } from "../../src/manifest/month-files";
import { parsePointer, parseVersionManifest, type VersionManifest } from "../../src/manifest/schema";
import { FsObjectStore } from "../../src/store/fs";
import { openDuck, rows as duckRows } from "../support/duck";
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
  /** Rows of the current version's `latest` projection, read by DuckDB (an independent reader) with `select` (e.g. "a, b FROM rows ORDER BY a"; the files are the view `rows`). */
  readRows(select: string): Promise<Record<string, unknown>[]>;
  stop(): Promise<void>;
}

/**
 * Copies test/fixtures/stores/<fixture> (null: an empty store) to a temporary directory and starts a worker on it, with one
 * dataset definition: `id` and a `file://` source (CSV unless `format` says otherwise) are filled in, `rest` (YAML lines from
 * `schema:` on) is the fixture's.
 */
export async function openFixtureStore(fixture: string | null, dataset: string, rest: string[], format: "csv" | "parquet" | "xlsx" = "csv"): Promise<FixtureStore> {
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
  const current = async (): Promise<VersionManifest> => {
    const root = `datasets/${dataset}/`;
    const pointer = parsePointer((await store.get(`${root}current/manifest.json`)).body);
    return parseVersionManifest((await store.get(root + pointer.manifest)).body);
  };
  return {
    store, client, taskQueue, sourcePath,
    current,
    async readRows(select: string) {
      const manifest = await current();
      const local = mkdtempSync(join(tmpdir(), "tidemark-read-"));
      const files = Object.values(manifest.projections.latest).flatMap(monthFiles).map((f, i) => ({ f, path: join(local, `m${i}.parquet`) }));
      for (const { f, path } of files) writeFileSync(path, (await store.get(`datasets/${dataset}/${f.path}`)).body);
      const duck = await openDuck();
      try {
        await duck.conn.run(`CREATE VIEW rows AS SELECT * FROM read_parquet([${files.map(({ path }) => `'${path}'`).join(",")}])`);
        return await duckRows(duck.conn, `SELECT ${select}`);
      } finally {
        duck.close();
      }
    },
    async stop() {
      await worker.stop();
      await client.connection.close();
    },
  };
}

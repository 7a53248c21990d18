import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parsePointer, parseVersionManifest } from "../../src/manifest/schema";
import type { ObjectStore } from "../../src/store/types";
import { openDuck, rows as duckRows } from "../support/duck";
import type { SeriesRow } from "./ingest-fixtures";
import { monthFiles } from "../../src/manifest/month-files";

/** Every live row of the current version, read by DuckDB (an independent reader) from the projection files the manifest names. */
export async function readProjectionRows(store: ObjectStore, dataset: string, projection = "latest"): Promise<SeriesRow[]> {
  const root = `datasets/${dataset}/`;
  const pointer = parsePointer((await store.get(`${root}current/manifest.json`)).body);
  const manifest = parseVersionManifest((await store.get(root + pointer.manifest)).body);
  const dir = mkdtempSync(join(tmpdir(), "tidemark-read-"));
  const files = Object.values(manifest.projections[projection]).flatMap(monthFiles).map((f, i) => ({ f, local: join(dir, `m${i}.parquet`) }));
  for (const { f, local } of files) writeFileSync(local, (await store.get(root + f.path)).body);
  const duck = await openDuck();
  try {
    const list = files.map(({ local }) => `'${local}'`).join(",");
    const out = await duckRows(duck.conn, `SELECT series_id, strftime(obs_date, '%Y-%m-%d') AS obs_date, value FROM read_parquet([${list}]) ORDER BY series_id, obs_date`);
    return out.map((r) => ({ series_id: String(r.series_id), obs_date: String(r.obs_date), value: r.value === null ? null : Number(r.value) }));
  } finally {
    duck.close();
  }
}

import { ingestLimitsFromEnv } from "../src/sources/limits";
import type { FetchedSource } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { normalizeWithEngine } from "../src/engine/normalize";
import { DatasetLayout } from "../src/layout";
import { type BadRow, describeBadRow } from "../src/normalize/errors";
import { normalizeSource } from "../src/normalize";
import { encodeParquet } from "../src/parquet/codec";
import type { ActivityDeps } from "./deps";
import { withEngine } from "./engine";
import { activityContext, heartbeater } from "./heartbeat";
import { SCRATCH } from "./io";

/** Result of `normalize`. */
export interface NormalizeSummary {
  rows: number;
  /** Bad rows dropped under `on_bad_rows: quarantine`, and the scratch report listing them. */
  quarantined?: { rows: number; report: string };
  /** Which reader normalized the source: DuckDB (CSV it reads exactly like Tidemark's reader) or Tidemark's own. */
  engine?: "duckdb" | "js";
}

/**
 * Step 2: parses, casts and validates the staged source into `runs/<version>/normalized.parquet`.
 * DuckDB reads the CSV sources it can read exactly as Tidemark's own reader does (same rows, types,
 * bad rows and errors; bounded memory, spilling); every other source goes through Tidemark's reader.
 */
export function normalizeActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async normalize({ dataset, version, definition, source }: { dataset: string; version: string; definition: DatasetDefinition; source: FetchedSource }): Promise<NormalizeSummary> {
      const layout = new DatasetLayout(dataset);
      const fileLabel = source.uri.split("/").pop() || source.uri;
      const limits = ingestLimitsFromEnv(deps.env ?? process.env);
      const target = layout.key(layout.runs(version) + SCRATCH.normalized);
      const { rows, badRows, badRowCount, engine } = await withEngine(
        deps,
        1,
        async (task, workspace) => {
          const sourcePath = await workspace.local(source.key);
          const outPath = workspace.path("normalized.parquet");
          const onFallback = (reason: string) => activityContext()?.log.info("normalizing with Tidemark's reader", { dataset, reason });
          const done = await normalizeWithEngine(task.connection, { definition, sourcePath, outPath, fileLabel, limits, onFallback });
          if (done) return { rows: done.rows, badRows: done.badRows, badRowCount: done.badRowCount, engine: "duckdb" as const, outPath };
          const beat = heartbeater();
          const result = await normalizeSource({ definition, input: sourcePath, fileLabel, sizeHint: source.bytes, limits, onProgress: (n: number) => beat({ rows: n }) });
          await store.put(target, encodeParquet(result.table, { dictionary: "sampled" }), { kind: "overwrite" });
          return { rows: result.table.numRows, badRows: result.badRows, badRowCount: result.badRowCount, engine: "js" as const, outPath: null };
        },
        async (r, workspace) => {
          if (r.outPath) await workspace.uploadScratch(r.outPath, target);
          return r;
        },
      );
      if (badRows.length === 0) return { rows, engine };
      return { rows, engine, quarantined: await writeQuarantine(deps, layout, version, badRows, badRowCount) };
    },
  };
}

async function writeQuarantine(deps: ActivityDeps, layout: DatasetLayout, version: string, badRows: BadRow[], badRowCount: number | undefined): Promise<{ rows: number; report: string }> {
  const report = layout.runs(version) + SCRATCH.quarantine;
  const lines = badRows.map((b) => JSON.stringify({ ...b, message: describeBadRow(b) })).join("\n");
  await deps.store.put(layout.key(report), `${lines}\n`, { kind: "overwrite" });
  return { rows: badRowCount ?? badRows.length, report };
}

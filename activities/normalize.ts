import { ingestLimitsFromEnv } from "../src/sources/limits";
import type { FetchedSource } from "../src/contracts";
import type { DatasetDefinition } from "../src/definition";
import { DatasetLayout } from "../src/layout";
import { describeBadRow } from "../src/normalize/errors";
import { normalizeSource } from "../src/normalize";
import type { ActivityDeps } from "./deps";
import { heartbeater } from "./heartbeat";
import { encodeParquet } from "../src/parquet/codec";
import { SCRATCH } from "./io";

/** Result of `normalize`. */
export interface NormalizeSummary {
  rows: number;
  /** Bad rows dropped under `on_bad_rows: quarantine`, and the scratch report listing them. */
  quarantined?: { rows: number; report: string };
}

/** Step 2: parses, casts and validates the staged source into `runs/<version>/normalized.parquet`. */
export function normalizeActivities(deps: ActivityDeps) {
  const { store } = deps;
  return {
    async normalize({ dataset, version, definition, source }: { dataset: string; version: string; definition: DatasetDefinition; source: FetchedSource }): Promise<NormalizeSummary> {
      const layout = new DatasetLayout(dataset);
      const beat = heartbeater();
      const { stream } = await store.getStream(source.key);
      const fileLabel = source.uri.split("/").pop() || source.uri;
      const limits = ingestLimitsFromEnv(deps.env ?? process.env);
      const result = await normalizeSource({ definition, input: stream, fileLabel, sizeHint: source.bytes, limits, onProgress: (rows: number) => beat({ rows }) });
      const table = result.table;
      await store.put(layout.key(layout.runs(version) + SCRATCH.normalized), encodeParquet(table, { dictionary: "sampled" }), { kind: "overwrite" });
      if (result.badRows.length === 0) return { rows: table.numRows };
      const report = layout.runs(version) + SCRATCH.quarantine;
      const lines = result.badRows.map((b) => JSON.stringify({ ...b, message: describeBadRow(b) })).join("\n");
      await store.put(layout.key(report), `${lines}\n`, { kind: "overwrite" });
      return { rows: table.numRows, quarantined: { rows: result.badRowCount ?? result.badRows.length, report } };
    },
  };
}

import { seriesDefinitionYaml } from "../support/definitions";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One row of the test series, as the test itself understands it (independent of the code under test). */
export interface SeriesRow {
  series_id: string;
  obs_date: string;
  value: number | null;
}

/** Monthly observations of `series` from `from` (YYYY-MM) for `months` months. */
export function monthlySeries(series: string[], from: string, months: number, value: (s: string, m: number) => number | null): SeriesRow[] {
  const [y0, m0] = from.split("-").map(Number);
  const rows: SeriesRow[] = [];
  for (const s of series) {
    for (let i = 0; i < months; i++) {
      const y = y0 + Math.floor((m0 - 1 + i) / 12);
      const m = ((m0 - 1 + i) % 12) + 1;
      rows.push({ series_id: s, obs_date: `${y}-${String(m).padStart(2, "0")}-01`, value: value(s, i) });
    }
  }
  return rows;
}

/** CSV text of rows (empty cell for null). */
export function toCsv(rows: SeriesRow[]): string {
  return `series_id,obs_date,value\n${rows.map((r) => `${r.series_id},${r.obs_date},${r.value ?? ""}`).join("\n")}\n`;
}

/** Key of a row. */
export const keyOf = (r: { series_id: string; obs_date: string }): string => `${r.series_id}|${r.obs_date}`;

/** A temp workspace: a datasets dir with one definition and a source file path. */
export function workspace(dataset: string, mode: "snapshot" | "upsert"): { dir: string; datasetsDir: string; sourcePath: string; writeSource(rows: SeriesRow[]): void } {
  const dir = mkdtempSync(join(tmpdir(), "tidemark-wf-"));
  const datasetsDir = join(dir, "datasets");
  mkdirSync(datasetsDir);
  const sourcePath = join(dir, "series.csv");
  writeFileSync(join(datasetsDir, `${dataset}.yaml`), seriesDefinitionYaml({ id: dataset, uri: `file://${sourcePath}`, mode }));
  return { dir, datasetsDir, sourcePath, writeSource: (rows) => writeFileSync(sourcePath, toCsv(rows)) };
}

import { writeFileSync } from "node:fs";

/** Shape of the generated sources. */
export interface SeriesShape {
  series: number;
  months: number;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
}

function dateOf(month: number): string {
  const y = 1980 + Math.floor(month / 12);
  return `${y}-${String((month % 12) + 1).padStart(2, "0")}-01`;
}

function seriesId(s: number): string {
  return `CB_SERIES_MONTHLY_${String(s).padStart(5, "0")}`;
}

/**
 * Writes the two deterministic CSV sources of the benchmark: `v1` (series × months rows,
 * ~1 % null values) and `v2` (1 % of v1's values revised, plus 1 % new rows as new months).
 */
export function writeSources(shape: SeriesShape, v1Path: string, v2Path: string): { v1Rows: number; v2Rows: number } {
  const rnd = lcg(42);
  const revise = lcg(7);
  const newMonths = Math.max(1, Math.round(shape.months / 100));
  const v1: string[] = ["series_id,obs_date,value\n"];
  const v2: string[] = ["series_id,obs_date,value\n"];
  for (let s = 0; s < shape.series; s++) {
    const id = seriesId(s);
    for (let m = 0; m < shape.months + newMonths; m++) {
      const value = rnd() < 0.01 ? "" : (rnd() * 200_000 - 1_000).toFixed(4);
      const line = `${id},${dateOf(m)},${value}\n`;
      if (m >= shape.months) {
        v2.push(line);
        continue;
      }
      v1.push(line);
      v2.push(revise() < 0.01 ? `${id},${dateOf(m)},${(revise() * 1_000).toFixed(3)}\n` : line);
    }
  }
  writeFileSync(v1Path, v1.join(""));
  writeFileSync(v2Path, v2.join(""));
  return { v1Rows: v1.length - 1, v2Rows: v2.length - 1 };
}

/** The dataset definition (YAML) the benchmark ingests with. */
export function definitionYaml(dataset: string, sourcePath: string): string {
  return [
    `id: ${dataset}`,
    `source: { uri: "file://${sourcePath}", format: csv }`,
    "mode: snapshot",
    "schema:",
    "  columns:",
    "    - { name: series_id, type: string }",
    "    - { name: obs_date, type: date }",
    "    - { name: value, type: double }",
    "  key: [series_id, obs_date]",
    "  partition_by: obs_date",
    "",
  ].join("\n");
}

import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ScenarioResult } from "./result.js";

/** Run conditions recorded with the figures. */
export interface Conditions {
  date: string;
  node: string;
  cpus: number;
  memoryGb: number;
  /** 1-minute load average sampled every 5 s: min / median / max. */
  load: { min: number; median: number; max: number; samples: number };
  baselines: string;
  args: string;
  /** HEAD and whether the product code (src, activities, workflows) had uncommitted changes when compiled. */
  tree: string;
  sizes: Record<string, number>;
  /** The generated source of P1/P2/P3/P6/MinIO. */
  source?: { v1Rows: number; v2Rows: number; changedRows: number; csvMB: number };
  durationS?: number;
}

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

function row(r: ScenarioResult): string {
  if (r.error) return `| ${r.title} | failed: ${r.error.split("\n")[0].slice(0, 160).replace(/\|/g, "/")} | — | — | — | — |`;
  const base = r.baseline ? `${r.baseline.name} ${seconds(r.baseline.ms)}` : "—";
  const ratio = r.ratio == null ? "—" : `${r.ratio}×`;
  const met = r.met == null ? "—" : r.met ? "met" : "not met";
  const rss = r.peakRssMb ? `${r.peakRssMb} MB` : "—";
  return `| ${r.title} | ${seconds(r.ms)} | ${base} | ${ratio} | ${rss} | ${r.goal} — ${met} |`;
}

function components(r: ScenarioResult): string {
  const d = r.details ?? {};
  const parts = Object.entries(d)
    .filter(([k]) => k !== "activities")
    .map(([k, v]) => `${k} ${typeof v === "object" ? JSON.stringify(v) : v}`);
  const acts = d.activities as Record<string, number> | undefined;
  if (acts) parts.unshift(`activities ${Object.entries(acts).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  return `- **${r.id}** (runs ${r.runs.join(", ")} ms; load average ${r.loadAverage ?? "?"}): ${parts.join("; ")}`;
}

/** Row order: the goals of issue 12 in order, each MinIO row beside its file:// row, extras last. */
const ORDER = ["P1", "P1-duckdb", "P2", "P2-changed-only", "P3-file", "P3-https", "P3-s3", "P4", "P5", "P6", "P7", "MINIO", "STALL"];

function rank(id: string): number {
  const at = ORDER.indexOf(id.replace(/-minio$/, ""));
  return (at < 0 ? ORDER.length : at) * 2 + (id.endsWith("-minio") ? 1 : 0);
}

/** The Markdown report: the summary table, then each scenario's components. */
export function markdown(unordered: ScenarioResult[], c: Conditions): string {
  const results = [...unordered].sort((a, b) => rank(a.id) - rank(b.id));
  const src = c.source ? `${c.source.v1Rows.toLocaleString("en")}-row source (${c.source.csvMB} MB CSV), ` : "";
  return [
    `Tidemark bench ${c.date}: ${src}medians of ${c.sizes.runs} runs after a warm-up; tree ${c.tree}; ${c.cpus} CPUs, ${c.memoryGb} GB, load average ${c.load.min}–${c.load.max} (median ${c.load.median}); ${c.node}; ${c.baselines}; \`${c.args || "(defaults)"}\``,
    "",
    "| scenario | Tidemark | baseline | ratio | worker peak RSS | goal |",
    "|---|---|---|---|---|---|",
    ...results.map(row),
    "",
    "Components (medians, ms):",
    "",
    ...results.map(components),
    "",
  ].join("\n");
}

function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** Writes `<out>.json` and `<out>.md` (called after every scenario, so a long run keeps its partial results). */
export function writeReport(out: string, results: ScenarioResult[], c: Conditions): string {
  const md = markdown(results, c);
  writeAtomic(out, `${JSON.stringify({ conditions: c, results }, null, 2)}\n`);
  writeAtomic(out.replace(/\.json$/, ".md"), md);
  return md;
}

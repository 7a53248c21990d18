/**
 * Where the engine's time goes in an initial load (the shape of P1 and P7: series × months rows of
 * `series_id, obs_date, value`): every DuckDB statement of normalize, delta, the event file and the
 * projection months, timed one by one in this process, with the engine's default settings. No
 * Temporal, store or uploads: what is left of a run's time is the engine's. Beside them, in the same
 * run: DuckDB's single-file CSV→Parquet of the same CSV (P1's second baseline), the one sort each
 * contract needs on its own (the event file by month and source row, the index by key hash), and
 * the repeated-key check both ways (exact on the 16-byte key hash, and the 64-bit pre-check the
 * delta now runs first). Writes `--out` (.json) and the same name with .md.
 *
 * node dist/bench/ingest/phases.js [--series 2000] [--months 500] [--runs 3] [--dir /tmp] [--dirty] [--out bench/results/phases-1m.json]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DuckDBConnection } from "@duckdb/node-api";
import { parseDefinition } from "../../src/definition/index.js";
import { batchesOf, chunksOf, STAGE_ROWS, STATEMENTS_PER_CALL } from "../../src/engine/batches.js";
import { Engine } from "../../src/engine/connection.js";
import { runDelta } from "../../src/engine/delta.js";
import { mayRepeatKeySql, repeatedKeySql } from "../../src/engine/delta-sql.js";
import { rowsPerMonth, stageProjections, writeEventsFile } from "../../src/engine/months.js";
import { normalizeToParquet } from "../../src/engine/normalize/source.js";
import { engineSettingsFromEnv } from "../../src/engine/settings.js";
import { EVENTS_PARQUET, INDEX_PARQUET, readParquet, sqlString } from "../../src/engine/sql.js";
import { EngineTask } from "../../src/engine/task.js";
import { makeVersionId } from "../../src/version-id.js";
import { benchTree } from "../tree.js";
import { definitionYaml, writeSources } from "./data.js";
import { duckdbCopy } from "./duckdb.js";
import { flag, writeResults } from "../args.js";

/** What a statement does, from its text: the first pattern that matches names it. */
const STATEMENTS: [RegExp, string][] = [
  [/^SELECT count\(\*\) FROM read_csv/, "normalize: count the CSV's rows (row limit, bad-row check)"],
  [/^COPY \(SELECT .* FROM read_csv/s, "normalize: parse, trim, cast and validate the CSV → scratch Parquet"],
  [/^CREATE TABLE \S+"src" AS/, "delta: load the normalized rows with key hash, row hash (MD5) and partition"],
  [/hash\(_key_hash\)/, "delta: repeated-key pre-check (64-bit hash of the key hash)"],
  [/GROUP BY _key_hash HAVING/, "delta: repeated keys, exact (16-byte key hash)"],
  [/^COPY \(SELECT .* FROM \S+"classified" WHERE _op IS NOT NULL ORDER BY _month, _row/s, "delta: changed rows as event-file rows (the changes file), sorted by partition and source row"],
  [/^COPY \(SELECT .*\) TO '[^']*\.rows\.parquet'/s, "delta: index rows → staged Parquet (above 4M keys)"],
  [/^COPY \(SELECT .* ORDER BY key_hash\) TO/s, "delta: index → Parquet, sorted by key hash"],
  [/^COPY \(SELECT .*_version/s, "events: the version's event file (rewritten: with deletes only)"],
  [/^CREATE TABLE \S+"state/, "projections: stage a batch of months, sorted by partition and key"],
  [/^COPY \(SELECT .* WHERE _month = /s, "projections: the month files (COPY, up to ten per engine call; two connections at once)"],
];

/** A version id of the form runs get (28 characters: a shorter one, e.g. "v1", made the changes file's sort cheaper than a run's). */
const VERSION = makeVersionId(new Date(Date.UTC(2026, 11, 3)), "phases");

/** Statement timings, grouped by what they do, in first-seen order. */
class Recorder {
  readonly rows = new Map<string, { ms: number; n: number }>();

  record(sql: string, ms: number): void {
    const label = STATEMENTS.find(([re]) => re.test(sql))?.[1] ?? "other statements (counts, plans, drops)";
    const r = this.rows.get(label) ?? { ms: 0, n: 0 };
    r.ms += ms;
    r.n += 1;
    this.rows.set(label, r);
  }
}

let recorder: Recorder | null = null;

/** Times every statement any connection runs (`runAndReadAll` goes through `run`). */
function instrument(): void {
  const run = DuckDBConnection.prototype.run;
  DuckDBConnection.prototype.run = async function (this: DuckDBConnection, sql: string, ...rest: unknown[]) {
    const t0 = performance.now();
    try {
      return await (run as (this: DuckDBConnection, ...a: unknown[]) => ReturnType<typeof run>).call(this, sql, ...rest);
    } finally {
      recorder?.record(sql, performance.now() - t0);
    }
  } as typeof run;
}

/** One initial load through the engine's steps; returns the rows it loaded and the wall time of each step. */
async function load(engine: Engine, dir: string, csv: string, rec: Recorder): Promise<{ rows: number; months: number; steps: Record<string, number> }> {
  recorder = rec;
  const definition = parseDefinition(definitionYaml("phases", csv), "phases.yaml");
  const normalized = join(dir, "normalized.parquet");
  const out = { index: join(dir, "index.parquet"), changes: join(dir, "changes.parquet"), removals: join(dir, "removals.parquet") };
  for (const f of [normalized, ...Object.values(out)]) rmSync(f, { force: true });
  const steps: Record<string, number> = {};
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      steps[name] = Math.round(performance.now() - t0);
    }
  };
  const source = { uri: `file://${csv}`, bytes: statSync(csv).size };
  await step("normalize", () => EngineTask.run(engine, 1, (task) => normalizeToParquet(task.connection, { definition, source, sourcePath: csv, outPath: normalized })));
  const delta = await step("delta", () => EngineTask.run(engine, 1, (task) => runDelta(task, { dataset: "phases", version: VERSION, definition, normalized, base: { kind: "none" }, baseRows: 0, out })));
  const run = { definition, version: VERSION, changes: out.changes, removals: out.removals, baseFiles: [] };
  await step("events", () => EngineTask.run(engine, 1, (task) => writeEventsFile(task, run, join(dir, "events.parquet"))));
  await step("projections", () =>
    EngineTask.run(engine, 2, async (task) => {
      const perMonth = await rowsPerMonth(task, definition, out.changes, out.removals);
      for (const months of batchesOf(delta.months, (m) => perMonth.get(m) ?? 0, STAGE_ROWS)) {
        const staged = await stageProjections(task, { ...run, months });
        await task.each(chunksOf(staged.files.filter((f) => f.rows > 0), STATEMENTS_PER_CALL), (chunk, exec) =>
          exec(chunk.map((f) => staged.copy(f.month, join(dir, `month-${f.month}.parquet`))).join(";\n")),
        );
        await staged.drop();
      }
    }),
  );
  recorder = null;
  return { rows: delta.inserted, months: delta.months.length, steps };
}

/** The one sort each file contract needs, alone, and the repeated-key check both ways, on this run's own outputs. */
async function isolated(engine: Engine, dir: string): Promise<Record<string, number>> {
  const timed = async (sql: string) => {
    const t0 = performance.now();
    await engine.with((c) => c.run(sql));
    return Math.round(performance.now() - t0);
  };
  const changes = readParquet(join(dir, "changes.parquet"), "file_row_number = true");
  const index = readParquet(join(dir, "index.parquet"));
  const scratch = sqlString(join(dir, "isolated.parquet"));
  const result: Record<string, number> = {};
  result["changed rows, copied unsorted"] = await timed(`COPY (SELECT * EXCLUDE (file_row_number) FROM ${changes}) TO ${scratch} (${EVENTS_PARQUET})`);
  result["changed rows, sorted by partition and source row"] = await timed(`COPY (SELECT * EXCLUDE (file_row_number) FROM ${changes} ORDER BY year(obs_date), month(obs_date), file_row_number) TO ${scratch} (${EVENTS_PARQUET})`);
  result["index, copied in row-hash order (unsorted by key)"] = await timed(`COPY (SELECT * FROM ${index} ORDER BY row_hash) TO ${scratch} (${INDEX_PARQUET})`);
  const shuffled = join(dir, "index-shuffled.parquet");
  await timed(`COPY (SELECT * FROM ${index} ORDER BY row_hash) TO ${sqlString(shuffled)} (${INDEX_PARQUET})`);
  result["index from shuffled rows, copied unsorted"] = await timed(`COPY (SELECT * FROM ${readParquet(shuffled)}) TO ${scratch} (${INDEX_PARQUET})`);
  result["index from shuffled rows, sorted by key hash"] = await timed(`COPY (SELECT * FROM ${readParquet(shuffled)} ORDER BY key_hash) TO ${scratch} (${INDEX_PARQUET})`);
  await EngineTask.run(engine, 1, async (task) => {
    const t = { src: task.table("src"), live: task.table("live"), base: task.table("base"), classified: task.table("classified") };
    await task.exec(`CREATE TABLE ${t.src} AS SELECT key_hash AS _key_hash FROM ${readParquet(shuffled)}`);
    const check = async (sql: string) => {
      const t0 = performance.now();
      await task.rows(sql);
      return Math.round(performance.now() - t0);
    };
    result["repeated keys, exact (16-byte key hash)"] = await check(repeatedKeySql(t));
    result["repeated keys, 64-bit pre-check"] = await check(mayRepeatKeySql(t));
  });
  rmSync(shuffled, { force: true });
  rmSync(join(dir, "isolated.parquet"), { force: true });
  return result;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const fmt = (ms: number) => Math.round(ms).toLocaleString("en-US");

interface Report {
  at: string;
  tree: string;
  args: string;
  cpus: number;
  node: string;
  load: number[];
  settings: { memoryLimit: string; threads: number };
  rows: number;
  months: number;
  csvMB: number;
  duckdbSingleFileMs: number[];
  runs: { totalMs: number; steps: Record<string, number>; statements: Record<string, { ms: number; n: number }> }[];
  isolated: Record<string, number>[];
}

function render(r: Report): string {
  const totals = r.runs.map((x) => x.totalMs);
  const labels = [...new Set(r.runs.flatMap((x) => Object.keys(x.statements)))];
  const med = (f: (run: Report["runs"][number]) => number) => median(r.runs.map(f));
  const total = med((x) => x.totalMs);
  const statementRows = labels.map((label) => {
    const ms = med((x) => x.statements[label]?.ms ?? 0);
    const n = med((x) => x.statements[label]?.n ?? 0);
    return `| ${label} | ${n} | ${fmt(ms)} | ${Math.round((ms / total) * 100)} % |`;
  });
  const stepNames = Object.keys(r.runs[0].steps);
  const isoNames = Object.keys(r.isolated[0]);
  return [
    `# Engine phases of an initial load`,
    ``,
    `Commit measured: \`${r.tree}\`, ${r.at}. \`node dist/bench/ingest/phases.js ${r.args}\` (after \`tsc -p bench/ingest\`).`,
    `Machine: ${r.cpus} CPUs, Node ${r.node}, 1-min load average ${r.load.map((x) => x.toFixed(2)).join(" → ")} (start → end). Engine: memory_limit ${r.settings.memoryLimit}, ${r.settings.threads} threads (the defaults).`,
    `Source: ${r.rows.toLocaleString("en-US")} rows (${r.csvMB} MB CSV, \`series_id, obs_date, value\`, key \`series_id, obs_date\`, ${r.months} months), loaded ${r.runs.length} times into an empty dataset, in this process; no Temporal, store or uploads.`,
    ``,
    `| step | ${r.runs.map((_, i) => `run ${i + 1} ms`).join(" | ")} | median ms |`,
    `|---|${r.runs.map(() => "---|").join("")}---|`,
    ...stepNames.map((s) => `| ${s} | ${r.runs.map((x) => fmt(x.steps[s])).join(" | ")} | ${fmt(med((x) => x.steps[s]))} |`),
    `| **all steps** | ${totals.map(fmt).join(" | ")} | **${fmt(total)}** |`,
    `| DuckDB single-file CSV→Parquet (zstd) of the same CSV, same run (P1's second baseline) | ${r.duckdbSingleFileMs.map(fmt).join(" | ")} | ${fmt(median(r.duckdbSingleFileMs))} |`,
    ``,
    `Statements (medians over the runs; ms is the sum of the statements' own times, so the month files, two at a time, can add up to more than their step's wall time; share of the median of all steps):`,
    ``,
    `| statement | count | ms | share |`,
    `|---|---|---|---|`,
    ...statementRows,
    ``,
    `Each sort alone, and the repeated-key check both ways, on each run's own outputs (ms):`,
    ``,
    `| operation | ${r.isolated.map((_, i) => `run ${i + 1}`).join(" | ")} | median |`,
    `|---|${r.isolated.map(() => "---|").join("")}---|`,
    ...isoNames.map((n) => `| ${n} | ${r.isolated.map((x) => fmt(x[n])).join(" | ")} | ${fmt(median(r.isolated.map((x) => x[n])))} |`),
    ``,
  ].join("\n");
}

async function main(): Promise<void> {
  const series = Number(flag("series", "2000"));
  const months = Number(flag("months", "500"));
  const runs = Number(flag("runs", "3"));
  const outJson = flag("out", `bench/results/phases-${series * months >= 1_000_000 ? `${(series * months) / 1_000_000}m` : series * months}.json`);
  const tree = benchTree(process.argv.includes("--dirty"));
  const dir = mkdtempSync(join(resolve(flag("dir", tmpdir())), "tidemark-phases-"));
  const settings = engineSettingsFromEnv();
  const load0 = loadavg()[0];
  instrument();
  try {
    const csv = join(dir, "v1.csv");
    writeSources({ series, months }, csv, join(dir, "v2.csv"), join(dir, "changes.csv"));
    rmSync(join(dir, "v2.csv"));
    rmSync(join(dir, "changes.csv"));
    await duckdbCopy(csv, join(dir, "duckdb.parquet"));
    const report: Report = {
      at: new Date().toISOString(), tree, args: process.argv.slice(2).join(" "), cpus: cpus().length, node: process.version, load: [load0],
      settings: { memoryLimit: settings.memoryLimit, threads: settings.threads }, rows: 0, months: 0, csvMB: Math.round(statSync(csv).size / 1e5) / 10,
      duckdbSingleFileMs: [], runs: [], isolated: [],
    };
    for (let i = 0; i <= runs; i++) {
      const engine = await Engine.open(settings);
      try {
        const rec = new Recorder();
        const t0 = performance.now();
        const done = await load(engine, dir, csv, rec);
        const totalMs = Math.round(performance.now() - t0);
        const duck = await duckdbCopy(csv, join(dir, "duckdb.parquet"));
        if (i === 0) continue;
        report.rows = done.rows;
        report.months = done.months;
        report.runs.push({ totalMs, steps: done.steps, statements: Object.fromEntries([...rec.rows].map(([k, v]) => [k, { ms: Math.round(v.ms), n: v.n }])) });
        report.duckdbSingleFileMs.push(duck);
        report.isolated.push(await isolated(engine, dir));
        process.stderr.write(`run ${i}: ${totalMs} ms (${JSON.stringify(done.steps)}), DuckDB single file ${duck} ms\n`);
      } finally {
        engine.close();
      }
    }
    report.load.push(loadavg()[0]);
    writeResults(outJson, report, render(report));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

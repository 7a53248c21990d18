import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { say } from "./stats.js";

const ROOT = join(__dirname, "..", "..", "..");
const VENV = join(ROOT, "bench", ".venv");
const PYTHON = join(VENV, "bin", "python");
const SCRIPT = join(ROOT, "bench", "deltars", "merge.py");
const REQUIREMENTS = join(ROOT, "bench", "deltars", "requirements.txt");

/** One timed delta-rs merge: inside Python (read CSV + merge) and the process's end-to-end wall time. */
export interface DeltaMerge {
  readMs: number;
  mergeMs: number;
  /** read + merge, timed inside Python: the honest equivalent of P2 (a running worker reading the CSV). */
  totalMs: number;
  /** spawn → exit of the Python process (adds interpreter start and imports). */
  wallMs: number;
  metrics: Record<string, number>;
}

/** Creates bench/.venv with the pinned deltalake + pyarrow on first use (bench only, git-ignored). */
export function ensureVenv(): void {
  if (existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import deltalake, pyarrow"]).status === 0) return;
  say("creating bench/.venv (deltalake + pyarrow from PyPI, once)…");
  const steps: [string, string[]][] = [
    ["python3", ["-m", "venv", VENV]],
    [join(VENV, "bin", "pip"), ["install", "--quiet", "-r", REQUIREMENTS]],
  ];
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { stdio: "inherit" });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status ?? r.signal})`);
  }
}

/** Versions of the baseline's packages. */
export function deltarsVersions(): string {
  const r = spawnSync(PYTHON, ["-c", "import deltalake, pyarrow; print(f'deltalake {deltalake.__version__}, pyarrow {pyarrow.__version__}')"], { encoding: "utf8" });
  return r.stdout.trim();
}

function run(args: string[], storageOptions?: Record<string, string>): { out: Record<string, unknown>; wallMs: number } {
  const t0 = performance.now();
  const r = spawnSync(PYTHON, [SCRIPT, ...args], {
    encoding: "utf8",
    env: { ...process.env, DELTARS_STORAGE_OPTIONS: storageOptions ? JSON.stringify(storageOptions) : "" },
    maxBuffer: 1 << 20,
  });
  const wallMs = Math.round(performance.now() - t0);
  if (r.status !== 0) throw new Error(`merge.py ${args[0]} failed:\n${r.stderr}`);
  return { out: JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as Record<string, unknown>, wallMs };
}

/** One timed delta-rs partitioned load (P1, P7): read CSV + write_deltalake partitioned by month. */
export interface DeltaLoad {
  readMs: number;
  writeMs: number;
  /** read + write, timed inside Python. */
  totalMs: number;
  /** spawn → exit of the Python process. */
  wallMs: number;
}

/** Writes a fresh Delta table from `csv`, partitioned by month (timed inside Python, CSV read included). */
export function deltaLoad(table: string, csv: string, storageOptions?: Record<string, string>): DeltaLoad {
  const { out, wallMs } = run(["load", "--table", table, "--csv", csv], storageOptions);
  return { readMs: out.read_ms as number, writeMs: out.write_ms as number, totalMs: out.total_ms as number, wallMs };
}

/** Writes a fresh, unpartitioned Delta table holding `csvs` (the merge target; not timed). */
export function deltaBuild(table: string, csvs: string[], storageOptions?: Record<string, string>): void {
  run(["build", "--table", table, ...csvs.flatMap((c) => ["--csv", c])], storageOptions);
}

/** The two merge variants of merge.py: every matched row updated, or only those whose value differs. */
export type MergeVariant = "update-all" | "changed-only";

/** Merges `source` into an existing table (timed inside Python, CSV read included). */
export function deltaMergeInto(table: string, source: string, variant: MergeVariant, storageOptions?: Record<string, string>): DeltaMerge {
  const { out, wallMs } = run(["merge", "--table", table, "--csv", source, ...(variant === "changed-only" ? ["--changed-only"] : [])], storageOptions);
  return { readMs: out.read_ms as number, mergeMs: out.merge_ms as number, totalMs: out.total_ms as number, wallMs, metrics: out.metrics as Record<string, number> };
}

/** Builds a fresh table from `base` (not timed), then merges `source` into it with `variant` (timed). */
export function deltaMerge(table: string, base: string, source: string, variant: MergeVariant, storageOptions?: Record<string, string>): DeltaMerge {
  deltaBuild(table, [base], storageOptions);
  return deltaMergeInto(table, source, variant, storageOptions);
}

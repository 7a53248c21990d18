import { resolve } from "node:path";

/** Every scenario `--only` can select. */
export const SCENARIOS = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "MINIO", "STALL"] as const;

/** The scenarios run without `--only`: the goals of issue 12 (STALL only when asked for). */
export const DEFAULT_SCENARIOS = ["P1", "P2", "P3", "P4", "P5", "P6", "P7", "MINIO"] as const;

/** One of {@link SCENARIOS}. */
export type Scenario = (typeof SCENARIOS)[number];

/** Sizes and selection of one bench run (see bench/README.md). */
export interface BenchOptions {
  only: Set<Scenario>;
  quick: boolean;
  /** Monthly series and months of the P1/P2/P3/P6/MinIO source (default 2,000 × 500 = 1M rows). */
  series: number;
  months: number;
  /** Daily series added to the source (each with one row per day over the last 12 months of the range). */
  daily: number;
  /** Measured runs per scenario, after one warm-up. */
  runs: number;
  /** P4: keys of the base version and rows of each incremental snapshot. */
  p4Base: number;
  p4Source: number;
  /** P4: the base version is ingested in this many parts (upserts over disjoint series). */
  p4Parts: number;
  /** P5: measured runs of the 10-row dataset. */
  p5Runs: number;
  out: string;
  keep: boolean;
  /** P7: monthly series and months of its initial load (default 20,000 × 500 = 10M rows). */
  p7Series: number;
  p7Months: number;
  /** STALL: monthly series of its source (× `months`; default 10,000 × 500 = 5M rows). */
  stallSeries: number;
  /** Run on a tree with uncommitted changes (a trial; the results say so). */
  dirty: boolean;
}

const QUICK = { series: 200, months: 50, daily: 5, runs: 1, p4Base: 50_000, p4Source: 5_000, p4Parts: 1, p5Runs: 5, stallSeries: 100, p7Series: 200, p7Months: 50 };
const FULL = { series: 2000, months: 500, daily: 0, runs: 3, p4Base: 10_000_000, p4Source: 1_000_000, p4Parts: 1, p5Runs: 20, stallSeries: 10_000, p7Series: 20_000, p7Months: 500 };

function value(argv: string[], name: string): string | undefined {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? argv[at + 1] : undefined;
}

function num(argv: string[], name: string, fallback: number): number {
  const raw = value(argv, name);
  if (raw === undefined) return fallback;
  const n = Number(raw.replace(/_/g, ""));
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} needs a non-negative integer, got "${raw}"`);
  return n;
}

/** Parses `npm run bench -- [--quick] [--only P1,P2] [--series N] [--months N] [--daily N] [--runs N] …`. */
export function parseOptions(argv: string[]): BenchOptions {
  const quick = argv.includes("--quick");
  const d = quick ? QUICK : FULL;
  const onlyRaw = value(argv, "only");
  const only = new Set<Scenario>();
  for (const s of (onlyRaw ?? DEFAULT_SCENARIOS.join(",")).split(",")) {
    const name = s.trim().toUpperCase() as Scenario;
    if (!SCENARIOS.includes(name)) throw new Error(`--only: unknown scenario "${s}" (use ${SCENARIOS.join(", ")})`);
    only.add(name);
  }
  return {
    only,
    quick,
    series: num(argv, "series", d.series),
    months: num(argv, "months", d.months),
    daily: num(argv, "daily", d.daily),
    runs: Math.max(1, num(argv, "runs", d.runs)),
    p4Base: num(argv, "p4-base", d.p4Base),
    p4Source: num(argv, "p4-source", d.p4Source),
    p4Parts: Math.max(1, num(argv, "p4-parts", d.p4Parts)),
    p5Runs: Math.max(1, num(argv, "p5-runs", d.p5Runs)),
    p7Series: Math.max(1, num(argv, "p7-series", d.p7Series)),
    p7Months: Math.max(1, num(argv, "p7-months", d.p7Months)),
    stallSeries: Math.max(1, num(argv, "stall-series", d.stallSeries)),
    out: resolve(value(argv, "out") ?? (quick ? "bench/results/quick.json" : "bench/results/latest.json")),
    keep: argv.includes("--keep"),
    dirty: argv.includes("--dirty"),
  };
}

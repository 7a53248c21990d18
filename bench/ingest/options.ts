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
  /** Monthly series and months of the P1/P2/P3/MinIO source (default 2,000 × 500 = 1M rows). */
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
  /** P6: monthly series of its initial load (× `months`; default 4,000 × 500 = 2M rows, so the write step lasts long enough for heartbeats past 80 % to be seen before it ends). */
  p6Series: number;
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

const QUICK = { series: 200, months: 50, daily: 5, runs: 1, p4Base: 50_000, p4Source: 5_000, p4Parts: 1, p5Runs: 5, p6Series: 200, stallSeries: 100, p7Series: 200, p7Months: 50 };
const FULL = { series: 2000, months: 500, daily: 0, runs: 3, p4Base: 10_000_000, p4Source: 1_000_000, p4Parts: 1, p5Runs: 20, p6Series: 4000, stallSeries: 10_000, p7Series: 20_000, p7Months: 500 };

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

const FLAGS = ["quick", "keep", "dirty", "help"];
const VALUES = ["only", "series", "months", "daily", "runs", "p4-base", "p4-source", "p4-parts", "p5-runs", "p6-series", "p7-series", "p7-months", "stall-series", "out"];

/** Usage of `npm run bench` (printed by `--help`). */
export const USAGE = `npm run bench -- [options]
  --quick                 everything small, in a few minutes (results default to bench/results/quick.json)
  --only LIST             scenarios, comma-separated: ${SCENARIOS.join(",")} (default ${DEFAULT_SCENARIOS.join(",")})
  --runs N                measured runs per scenario after a warm-up (default ${FULL.runs})
  --series N --months N   P1/P2/P3/MinIO source: monthly series × months (default ${FULL.series} × ${FULL.months})
  --daily N               daily series added to that source (default ${FULL.daily})
  --p4-base N --p4-source N --p4-parts N   P4 sizes (default ${FULL.p4Base} keys, ${FULL.p4Source}-row upserts, ${FULL.p4Parts} part)
  --p5-runs N             P5 runs (default ${FULL.p5Runs})
  --p6-series N           P6 initial load: monthly series × --months (default ${FULL.p6Series})
  --p7-series N --p7-months N   P7 initial load (default ${FULL.p7Series} × ${FULL.p7Months})
  --stall-series N        STALL source series (default ${FULL.stallSeries})
  --out FILE.json         results file (default bench/results/latest.json); the .md beside it
  --keep                  keep the temp dir
  --dirty                 allow uncommitted changes (a trial; the results say so)
Env BENCH_WORKER_ENV / BENCH_WORKER_NODE_FLAGS pass settings to the bench's worker; BENCH_RSS_TRACE records its RSS.`;

/** An option `npm run bench` does not know: the argument that is wrong, or null when all are known. */
export function unknownOption(argv: string[]): string | null {
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].startsWith("--") ? argv[i].slice(2) : null;
    if (name !== null && FLAGS.includes(name)) continue;
    if (name !== null && VALUES.includes(name) && i + 1 < argv.length) {
      i++;
      continue;
    }
    return argv[i];
  }
  return null;
}

/** Parses `npm run bench -- [--quick] [--only P1,P2] [--series N] [--months N] [--daily N] [--runs N] …`. */
export function parseOptions(argv: string[]): BenchOptions {
  const unknown = unknownOption(argv);
  if (unknown !== null) throw new Error(`Unknown or incomplete bench option "${unknown}"; run "npm run bench -- --help" for the options.`);
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
    p6Series: Math.max(1, num(argv, "p6-series", d.p6Series)),
    p7Series: Math.max(1, num(argv, "p7-series", d.p7Series)),
    p7Months: Math.max(1, num(argv, "p7-months", d.p7Months)),
    stallSeries: Math.max(1, num(argv, "stall-series", d.stallSeries)),
    out: resolve(value(argv, "out") ?? (quick ? "bench/results/quick.json" : "bench/results/latest.json")),
    keep: argv.includes("--keep"),
    dirty: argv.includes("--dirty"),
  };
}

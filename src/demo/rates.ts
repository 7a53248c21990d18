/**
 * The demo's bundled dataset: monthly exchange-rate and interest-rate series in the style of a
 * central bank's statistical release. Deterministic (seeded), so every demo run publishes the same
 * versions with the same counts.
 */

/** One series of the release. */
export interface SeriesInfo {
  id: string;
  unit: string;
  start: number;
  volatility: number;
}

/** One observation row as the source file carries it. */
export interface Observation {
  series_id: string;
  obs_date: string;
  value: number | null;
  unit: string;
  status: "A" | "P";
}

const FX = ["EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK", "CNY", "INR", "BRL", "MXN", "ZAR", "KRW", "SGD", "HKD", "PLN", "CZK"];
const FX_START: Record<string, number> = {
  EUR: 0.92, GBP: 0.79, JPY: 135, CHF: 0.93, CAD: 1.34, AUD: 1.49, NZD: 1.62, SEK: 10.4, NOK: 10.2, DKK: 6.9,
  CNY: 6.9, INR: 82, BRL: 5.1, MXN: 18.5, ZAR: 17.8, KRW: 1290, SGD: 1.34, HKD: 7.8, PLN: 4.3, CZK: 22.4,
};
const RATE_AREAS = ["US", "EA", "UK", "JP", "CA", "AU", "CH", "SE", "NO", "NZ"];
const RATE_KINDS: [string, number][] = [["POLICY", 2.5], ["GOV10Y", 3.1]];

/** The 40 series of the release: 20 FX rates (units of currency per USD) and 20 interest rates (percent). */
export const SERIES: SeriesInfo[] = [
  ...FX.map((ccy) => ({ id: `FX.${ccy}USD.M`, unit: `${ccy} per USD`, start: FX_START[ccy], volatility: 0.018 })),
  ...RATE_AREAS.flatMap((area) => RATE_KINDS.map(([kind, start]) => ({ id: `IR.${area}.${kind}.M`, unit: "percent", start, volatility: 0.06 }))),
];

/** First month of the release. */
export const FIRST_MONTH = { year: 2015, month: 1 };
/** Months in the first release (10 years). */
export const MONTHS_V1 = 120;
/** Trailing months published as provisional (`P`) and revised by the next release. */
export const PROVISIONAL_MONTHS = 3;
/** The series the second release discontinues. */
export const DROPPED_SERIES = "FX.KRWUSD.M";

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seedOf(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** `YYYY-MM-01` of the i-th month of the release. */
export function monthDate(i: number): string {
  const total = FIRST_MONTH.year * 12 + (FIRST_MONTH.month - 1) + i;
  return `${Math.floor(total / 12)}-${String((total % 12) + 1).padStart(2, "0")}-01`;
}

function round(value: number, unit: string): number {
  const digits = unit === "percent" ? 2 : value >= 100 ? 2 : 4;
  return Number(value.toFixed(digits));
}

/** The path a series' final (revised) values follow, month by month. */
function seriesPath(s: SeriesInfo, months: number): number[] {
  const rand = prng(seedOf(s.id));
  const out: number[] = [];
  let level = s.start;
  for (let i = 0; i < months; i++) {
    const shock = (rand() - 0.5) * 2 * s.volatility;
    level = s.unit === "percent" ? Math.max(-0.75, level + shock * 2) : level * (1 + shock);
    out.push(level);
  }
  return out;
}

/**
 * First estimates miss the final value by a seeded error; each later release of a provisional month
 * closes a third of that gap, and the month is final once it leaves the provisional window — so
 * every release revises every provisional month.
 */
function estimate(s: SeriesInfo, final: number, month: number, age: number): number {
  if (age >= PROVISIONAL_MONTHS) return final;
  const draw = prng(seedOf(`${s.id}/error/${month}`));
  const size = 1 + 2 * draw();
  const sign = draw() < 0.5 ? -1 : 1;
  const error = s.unit === "percent" ? sign * size * 0.045 : final * sign * size * 0.003;
  return final + (error * (PROVISIONAL_MONTHS - age)) / PROVISIONAL_MONTHS;
}

/** Observations of a release covering `months` months: the last {@link PROVISIONAL_MONTHS} are provisional estimates. */
export function release(months: number, options: { drop?: string[] } = {}): Observation[] {
  const rows: Observation[] = [];
  for (const s of SERIES) {
    if (options.drop?.includes(s.id)) continue;
    const path = seriesPath(s, months);
    const gaps = prng(seedOf(`${s.id}/gaps`));
    for (let i = 0; i < months; i++) {
      const age = months - 1 - i;
      const missing = gaps() < 0.004 && age >= PROVISIONAL_MONTHS;
      const value = missing ? null : round(estimate(s, path[i], i, age), s.unit);
      rows.push({ series_id: s.id, obs_date: monthDate(i), value, unit: s.unit, status: age < PROVISIONAL_MONTHS ? "P" : "A" });
    }
  }
  return rows;
}

/** The first release: 40 series × 120 months. */
export function releaseV1(): Observation[] {
  return release(MONTHS_V1);
}

/** The next release: one more month, the provisional months revised, one series discontinued. */
export function releaseV2(): Observation[] {
  return release(MONTHS_V1 + 1, { drop: [DROPPED_SERIES] });
}

function csvCell(value: string | number | null): string {
  if (value === null) return "";
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The release as CSV with a header line. */
export function toCsv(rows: Observation[]): string {
  const header = "series_id,obs_date,value,unit,status\n";
  return header + rows.map((r) => `${[r.series_id, r.obs_date, r.value, r.unit, r.status].map(csvCell).join(",")}\n`).join("");
}

/** The demo's dataset definition (snapshot mode: a series missing from a release is deleted). */
export function demoDefinition(dataset: string, sourceUri: string): Record<string, unknown> {
  return {
    id: dataset,
    description: "Monthly FX and interest-rate series (demo data generated by tidemark demo)",
    source: { uri: sourceUri, format: "csv" },
    schema: {
      columns: [
        { name: "series_id", type: "string" },
        { name: "obs_date", type: "date" },
        { name: "value", type: "double" },
        { name: "unit", type: "string" },
        { name: "status", type: "string" },
      ],
      key: ["series_id", "obs_date"],
      partition_by: "obs_date",
    },
    mode: "snapshot",
  };
}

import { performance } from "node:perf_hooks";

/** Median of a non-empty list (0 for an empty one). */
export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** `ours / baseline`, two significant decimals; null when there is no baseline. */
export function ratio(ours: number, baseline: number | null | undefined): number | null {
  if (!baseline) return null;
  return Math.round((ours / baseline) * 100) / 100;
}

/** Milliseconds since `t0` (a `performance.now()` reading), rounded. */
export function since(t0: number): number {
  return Math.round(performance.now() - t0);
}

/** Runs `fn` and returns its result with its wall time in ms. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: since(t0), value };
}

/** Per-name medians of a list of `{name: ms}` records (missing names count as 0). */
export function medianRecords(records: Record<string, number>[]): Record<string, number> {
  const names = [...new Set(records.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(names.map((n) => [n, Math.round(median(records.map((r) => r[n] ?? 0)))]));
}

/** A progress line on stderr (stdout carries the final Markdown table). */
export function say(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

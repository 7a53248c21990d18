import { InvalidArgumentError } from "commander";

/** Commander parser for a TCP port. */
export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 1 || port > 65535) throw new InvalidArgumentError("expected a port number between 1 and 65535.");
  return port;
}

/** Commander parser for a positive integer. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || !Number.isSafeInteger(n)) throw new InvalidArgumentError("expected a positive whole number.");
  return n;
}

/** Longest wait a timer can hold (setTimeout's limit, about 24.8 days), in whole seconds. */
export const MAX_WAIT_SECONDS = Math.floor(2_147_483_647 / 1000);

/** Parses a wait in whole seconds: positive and at most {@link MAX_WAIT_SECONDS} (a longer one would fire at once). */
export function parseWaitSeconds(value: string): number {
  const n = parsePositiveInt(value);
  if (n > MAX_WAIT_SECONDS) throw new InvalidArgumentError(`expected at most ${MAX_WAIT_SECONDS} seconds (about 24 days).`);
  return n;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration such as `90s`, `10m`, `1h30m` or `7d` into milliseconds; undefined when malformed. */
export function durationMs(value: string): number | undefined {
  if (!/^(\d+(ms|s|m|h|d))+$/.test(value)) return undefined;
  let total = 0;
  for (const [, n, unit] of value.matchAll(/(\d+)(ms|s|m|h|d)/g)) total += Number(n) * UNIT_MS[unit];
  return total > 0 ? total : undefined;
}

/** Commander parser for a duration (see {@link durationMs}). */
export function parseDuration(value: string): number {
  const ms = durationMs(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as "30s", "10m", "1h" or "1h30m".');
  return ms;
}

/** Formats milliseconds compactly, e.g. `1h30m`. */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  if (rest > 0 || parts.length === 0) parts.push(`${rest}ms`);
  return parts.join("");
}

/** Commander parser for a TCP port where 0 means "any free port". */
export function parsePortOrZero(value: string): number {
  return value === "0" ? 0 : parsePort(value);
}

/** Commander parser for `--log-format`. */
export function parseLogFormat(value: string): string {
  const format = value.trim().toLowerCase();
  if (format !== "json" && format !== "text") throw new InvalidArgumentError('expected "json" or "text".');
  return format;
}

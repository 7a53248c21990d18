/**
 * Whether serve's fragment writes are failing, per dataset: what `/readyz` reports and what serve
 * logs. A failed group already answered 503 to its clients; this says so to the operator, once when
 * writes start failing, then at most once per {@link REPEAT_MS} with the count since, and once when
 * they work again. Pure: times and error texts in, lines out.
 */

/** Shortest gap between two log lines about one dataset's failing writes. */
export const REPEAT_MS = 30_000;

interface Failing {
  message: string;
  since: number;
  loggedAt: number;
  unlogged: number;
}

/** Tracks each dataset's fragment writes: failing since when, and why. */
export class WriteHealth {
  private readonly failing = new Map<string, Failing>();

  /** A group of `dataset` could not be written at `now` (ms) for `message`; returns the line to log, if one is due. */
  failed(dataset: string, message: string, now: number): string | null {
    const f = this.failing.get(dataset);
    if (!f) {
      this.failing.set(dataset, { message, since: now, loggedAt: now, unlogged: 0 });
      return `fragment writes of dataset "${dataset}" fail, so its records get 503: ${message}; check the store (TIDEMARK_STORE) and its permissions.`;
    }
    f.message = message;
    if (now - f.loggedAt < REPEAT_MS) {
      f.unlogged++;
      return null;
    }
    const more = f.unlogged + 1;
    f.loggedAt = now;
    f.unlogged = 0;
    return `fragment writes of dataset "${dataset}" still fail (${more} more group${more === 1 ? "" : "s"}, failing for ${Math.round((now - f.since) / 1000)} s): ${message}`;
  }

  /** A group of `dataset` was written at `now`; returns the line to log when its writes had been failing. */
  written(dataset: string, now: number): string | null {
    const f = this.failing.get(dataset);
    if (!f) return null;
    this.failing.delete(dataset);
    return `fragment writes of dataset "${dataset}" work again after ${Math.round((now - f.since) / 1000)} s.`;
  }

  /** The datasets whose last write failed, with why (`/readyz`). */
  failures(): string[] {
    return [...this.failing].map(([dataset, f]) => `${dataset}: ${f.message}`);
  }
}

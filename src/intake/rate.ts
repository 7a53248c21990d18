/** Per-token rate limit: a token bucket of requests per second with a burst. */

/** A refused request: seconds until the bucket holds a request again. */
export interface RateRefusal {
  readonly retryAfterSeconds: number;
}

/** Token buckets keyed by a token's label. */
export class RateLimiter {
  private readonly buckets = new Map<string, { level: number; at: number }>();

  /** `perSecond` requests per second on average, `burst` at once; `now` in milliseconds. */
  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one request from `key`'s bucket; a refusal says when to retry. */
  take(key: string): RateRefusal | null {
    const t = this.now();
    const b = this.buckets.get(key) ?? { level: this.burst, at: t };
    b.level = Math.min(this.burst, b.level + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (b.level >= 1) {
      b.level -= 1;
      return null;
    }
    return { retryAfterSeconds: Math.max(1, Math.ceil((1 - b.level) / this.perSecond)) };
  }
}

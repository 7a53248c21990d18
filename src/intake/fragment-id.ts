/**
 * Fragment ids: `<UTC time to the millisecond>-<counter>-<random>`, e.g.
 * `20261129T230512345Z-000001-3f9a0c1b7d2e`. They sort by creation time; the per-process counter
 * orders ids made in the same millisecond and the 48 random bits keep ids of different servers
 * apart.
 */
import { randomBytes } from "node:crypto";

const FRAGMENT_ID = /^\d{8}T\d{9}Z-\d{6}-[0-9a-f]{12}$/;

/** Makes time-ordered, unique fragment ids for one process. */
export class FragmentIds {
  private lastMs = 0;
  private counter = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The next id; never smaller than the previous one of this process. */
  next(): string {
    const t = Math.max(this.now(), this.lastMs);
    this.counter = t === this.lastMs ? this.counter + 1 : 0;
    this.lastMs = t;
    const iso = new Date(t).toISOString();
    const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}Z`;
    return `${stamp}-${String(this.counter % 1_000_000).padStart(6, "0")}-${randomBytes(6).toString("hex")}`;
  }
}

/** Whether `value` has the shape of a fragment id. */
export function isFragmentId(value: string): boolean {
  return FRAGMENT_ID.test(value);
}

/** Creation time of a fragment id (millisecond precision), or undefined when malformed. */
export function fragmentTime(id: string): Date | undefined {
  if (!isFragmentId(id)) return undefined;
  const iso = `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:${id.slice(11, 13)}:${id.slice(13, 15)}.${id.slice(15, 18)}Z`;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

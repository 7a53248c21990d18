/**
 * Fragment ids: `<UTC time to the millisecond>-<counter>-<random>`, e.g.
 * `20261129T230512345Z-000001-3f9a0c1b7d2e`. They sort by creation time; the per-process counter
 * orders ids made in the same millisecond and the 48 random bits keep ids of different servers
 * apart. A server writes each fragment under an id after the newest one in the inbox, so ids also
 * sort in the order fragments were acknowledged across servers whose clocks disagree.
 */
import { randomBytes } from "node:crypto";

const FRAGMENT_ID = /^\d{8}T\d{9}Z-\d{6}-[0-9a-f]{12}$/;

/** Ids a counter can tell apart within one millisecond. */
const COUNTER_SPAN = 1_000_000;

/** Makes time-ordered, unique fragment ids for one process. */
export class FragmentIds {
  private lastMs = 0;
  private counter = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * The next id: after the previous one of this process and after `after` (the newest fragment id
   * another server wrote, when known), whatever the clocks say; a millisecond whose counter is
   * used up moves the id to the next millisecond.
   */
  next(after?: string): string {
    let t = Math.max(this.now(), this.lastMs);
    let counter = t === this.lastMs ? this.counter + 1 : 0;
    const floor = after === undefined ? undefined : idOrder(after);
    if (floor && (t < floor.ms || (t === floor.ms && counter <= floor.counter))) {
      t = floor.ms;
      counter = floor.counter + 1;
    }
    if (counter >= COUNTER_SPAN) {
      t += 1;
      counter = 0;
    }
    this.lastMs = t;
    this.counter = counter;
    const iso = new Date(t).toISOString();
    const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}${iso.slice(20, 23)}Z`;
    return `${stamp}-${String(counter).padStart(6, "0")}-${randomBytes(6).toString("hex")}`;
  }
}

/** Millisecond and counter of a fragment id (what its order is made of), or undefined when malformed. */
function idOrder(id: string): { ms: number; counter: number } | undefined {
  const time = fragmentTime(id);
  return time && { ms: time.getTime(), counter: Number(id.slice(20, 26)) };
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

/** The inbox backlog of push datasets: fragments not yet compacted, measured by listing the store. */
import { DatasetLayout } from "../layout.js";
import type { ObjectStore } from "../store/types.js";

/** Backlog of one dataset's inbox. */
export interface Backlog {
  readonly fragments: number;
  readonly bytes: number;
  /** Last-modified time of the oldest fragment, or null when the inbox is empty. */
  readonly oldest: Date | null;
}

/**
 * Objects per listing page of a `file://` store: its listing stats a page's files at once on
 * libuv's thread pool, where fragment writes (open, write, fsync, link) wait behind them; small
 * pages keep that wait short. Other stores list with their own page size.
 */
const FILE_LIST_PAGE = 32;

/** Lists a dataset's inbox and sums it. */
export async function measureBacklog(store: ObjectStore, datasetId: string): Promise<Backlog> {
  const layout = new DatasetLayout(datasetId);
  let fragments = 0;
  let bytes = 0;
  let oldest: Date | null = null;
  for await (const o of store.list(layout.key(layout.inbox()), store.url.startsWith("file:") ? { pageSize: FILE_LIST_PAGE } : {})) {
    fragments++;
    bytes += o.size;
    if (oldest === null || o.lastModified < oldest) oldest = o.lastModified;
  }
  return { fragments, bytes, oldest };
}

/**
 * The server's view of each push dataset's backlog: the last listing plus the fragments this
 * server wrote since. Other servers' and compaction's changes appear at the next refresh. Periodic
 * refreshes ({@link start}) never overlap, and a listing that took `d` ms is followed by a pause of
 * at least `DUTY_PAUSE` × `d`, so a large inbox costs the process at most a small share of its time;
 * except while a dataset is over its bound (its requests are refused anyway): then listings run at
 * most {@link BacklogTracker.OVER_BOUND_MS} apart, so the refusals end within about a second of a
 * compaction deleting what it consumed.
 */
export class BacklogTracker {
  /** Pause after a periodic refresh, as a multiple of how long it took. */
  static readonly DUTY_PAUSE = 10;
  /** Longest pause between listings while a dataset is over its bound, in ms. */
  static readonly OVER_BOUND_MS = 1000;
  private readonly state = new Map<string, Backlog>();
  private running: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly store: ObjectStore) {}

  /**
   * Refreshes `datasetIds` now and then repeatedly until {@link stop}: `everyMs` apart, or
   * `DUTY_PAUSE` × the last listing's duration when longer; while `overBound()` says a dataset is
   * over its backlog bound, `everyMs` or `OVER_BOUND_MS` apart, whichever is shorter.
   */
  async start(datasetIds: readonly string[], everyMs: number, overBound: () => boolean = () => false): Promise<void> {
    this.stopped = false;
    const cycle = async () => {
      const t0 = performance.now();
      await this.refresh(datasetIds);
      if (this.stopped) return;
      const pause = overBound() ? Math.min(everyMs, BacklogTracker.OVER_BOUND_MS) : Math.max(everyMs, BacklogTracker.DUTY_PAUSE * (performance.now() - t0));
      this.timer = setTimeout(() => void cycle(), pause);
      this.timer.unref();
    };
    await cycle();
  }

  /** Stops periodic refreshes. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Current view of a dataset (empty before its first refresh). */
  get(datasetId: string): Backlog {
    return this.state.get(datasetId) ?? { fragments: 0, bytes: 0, oldest: null };
  }

  /** Counts a fragment this server just wrote. */
  added(datasetId: string, bytes: number, at: Date): void {
    const b = this.get(datasetId);
    this.state.set(datasetId, { fragments: b.fragments + 1, bytes: b.bytes + bytes, oldest: b.oldest ?? at });
  }

  /** Lists the inboxes again (joining a listing already under way); a dataset whose listing fails keeps its last view. */
  refresh(datasetIds: readonly string[]): Promise<void> {
    this.running ??= this.list(datasetIds).finally(() => (this.running = null));
    return this.running;
  }

  private async list(datasetIds: readonly string[]): Promise<void> {
    await Promise.all(
      datasetIds.map(async (id) => {
        try {
          this.state.set(id, await measureBacklog(this.store, id));
        } catch {
          /* the store is unreachable: the last view stands and /readyz reports the store */
        }
      }),
    );
  }
}

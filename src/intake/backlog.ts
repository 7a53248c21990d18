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

/** Lists a dataset's inbox and sums it. */
export async function measureBacklog(store: ObjectStore, datasetId: string): Promise<Backlog> {
  const layout = new DatasetLayout(datasetId);
  let fragments = 0;
  let bytes = 0;
  let oldest: Date | null = null;
  for await (const o of store.list(layout.key(layout.inbox()))) {
    fragments++;
    bytes += o.size;
    if (oldest === null || o.lastModified < oldest) oldest = o.lastModified;
  }
  return { fragments, bytes, oldest };
}

/**
 * The server's view of each push dataset's backlog: the last listing plus the fragments this
 * server wrote since. Other servers' and compaction's changes appear at the next refresh.
 */
export class BacklogTracker {
  private readonly state = new Map<string, Backlog>();

  constructor(private readonly store: ObjectStore) {}

  /** Current view of a dataset (empty before its first refresh). */
  get(datasetId: string): Backlog {
    return this.state.get(datasetId) ?? { fragments: 0, bytes: 0, oldest: null };
  }

  /** Counts a fragment this server just wrote. */
  added(datasetId: string, bytes: number, at: Date): void {
    const b = this.get(datasetId);
    this.state.set(datasetId, { fragments: b.fragments + 1, bytes: b.bytes + bytes, oldest: b.oldest ?? at });
  }

  /** Lists the inboxes again; a dataset whose listing fails keeps its last view. */
  async refresh(datasetIds: readonly string[]): Promise<void> {
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

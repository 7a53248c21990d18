/**
 * Group commit for one push dataset: validated requests are written together as ONE create-only
 * fragment; every request of the group is answered only after that write succeeded, or all of them
 * fail together. With `delayMs` 0 (adaptive) a group is written as soon as a write slot is free
 * (after the current event-loop turn, so requests parsed together share it) and grows only while
 * the dataset's writes are in flight; with `delayMs` > 0 a group waits that long, or until it
 * holds `maxGroupBytes`. A due group waits for a free write slot; `maxInflightBytes` bounds it.
 */
import { ConflictingObjectError } from "../errors.js";
import { DatasetLayout } from "../layout.js";
import type { ObjectStore } from "../store/types.js";
import { writeOnce } from "../store/write-once.js";
import { IntakeRequestError, IntakeStoreError } from "./errors.js";
import { type FragmentIds, isFragmentId } from "./fragment-id.js";

/** Settings of a dataset's group committer. */
export interface GroupOptions {
  readonly store: ObjectStore;
  readonly datasetId: string;
  readonly ids: FragmentIds;
  /** Wait of a group before its write, in ms; 0: adaptive (write when a write slot is free). */
  readonly delayMs: number;
  /** With `delayMs` > 0, a group holding this many bytes is written without waiting for the delay. */
  readonly maxGroupBytes: number;
  /** Bytes of validated records (waiting or being written) above which requests get 429. */
  readonly maxInflightBytes: number;
  /** Fragment writes in flight at once for the dataset. */
  readonly maxWrites: number;
  /**
   * Whether each fragment's id is taken after the newest one in the inbox (one listing per write),
   * so that ids sort in acknowledgement order across servers whose clocks disagree; default true.
   * False for a `file://` store, whose servers share one host's clock.
   */
  readonly orderAfterInbox?: boolean;
  /** Called after each fragment is durable. */
  readonly onWritten?: (fragment: { id: string; bytes: number; records: number; requests: number }) => void;
  /** Called when a group could not be written (its requests get {@link IntakeStoreError}). */
  readonly onFailed?: (err: unknown) => void;
  /** Called when the number of waiting records changes. */
  readonly onPending?: (records: number) => void;
}

/** What a request gets once its group is durable. */
export interface Committed {
  readonly fragment: string;
}

interface Waiter {
  resolve(c: Committed): void;
  reject(err: unknown): void;
}

interface Group {
  parts: Buffer[];
  bytes: number;
  records: number;
  waiters: Waiter[];
  due: boolean;
  timer?: NodeJS.Timeout;
  immediate?: NodeJS.Immediate;
}

const emptyGroup = (): Group => ({ parts: [], bytes: 0, records: 0, waiters: [], due: false });

/** Batches one dataset's requests into fragments. */
export class GroupCommitter {
  private readonly layout: DatasetLayout;
  private pending: Group = emptyGroup();
  private writes = 0;
  private inflightBytes = 0;
  private closing = false;
  /** The newest fragment id of the inbox this committer knows of (its own or another server's). */
  private newest: string | undefined;
  private readonly idle = new Set<() => void>();

  constructor(private readonly options: GroupOptions) {
    this.layout = new DatasetLayout(options.datasetId);
  }

  /** Records waiting for a fragment. */
  get pendingRecords(): number {
    return this.pending.records;
  }

  /**
   * Adds a request's normalized NDJSON (`records` lines) to the current group and resolves when
   * its fragment is durable. Throws 429 when the dataset's in-flight bytes are over the bound and
   * 503 ({@link IntakeStoreError}) when the fragment could not be written.
   */
  submit(ndjson: Buffer, records: number): Promise<Committed> {
    const o = this.options;
    if (this.inflightBytes > 0 && this.inflightBytes + ndjson.length > o.maxInflightBytes) {
      return Promise.reject(
        new IntakeRequestError(429, `Dataset "${o.datasetId}" has ${this.inflightBytes} bytes of records being written, the most this server holds; retry after a moment.`, {}, { "retry-after": "1" }),
      );
    }
    this.inflightBytes += ndjson.length;
    return new Promise<Committed>((resolve, reject) => {
      const g = this.pending;
      g.parts.push(ndjson);
      g.bytes += ndjson.length;
      g.records += records;
      g.waiters.push({ resolve, reject });
      o.onPending?.(g.records);
      if (g.bytes >= o.maxGroupBytes || this.closing) {
        g.due = true;
        this.pump();
      } else if (o.delayMs > 0) g.timer ??= setTimeout(() => this.markDue(g), o.delayMs);
      else g.immediate ??= setImmediate(() => this.markDue(g));
    });
  }

  /** Writes what is waiting now and resolves when no write is in flight; later submits are written at once. */
  async drain(): Promise<void> {
    this.closing = true;
    this.markDue(this.pending);
    while (this.writes > 0 || this.pending.waiters.length > 0) await new Promise<void>((r) => this.idle.add(r));
  }

  private markDue(g: Group): void {
    g.due = true;
    this.clearTimers(g);
    this.pump();
  }

  private clearTimers(g: Group): void {
    if (g.timer) clearTimeout(g.timer);
    if (g.immediate) clearImmediate(g.immediate);
    g.timer = undefined;
    g.immediate = undefined;
  }

  private pump(): void {
    const g = this.pending;
    if (!g.due || g.waiters.length === 0 || this.writes >= this.options.maxWrites) return;
    this.clearTimers(g);
    this.pending = emptyGroup();
    this.options.onPending?.(0);
    this.writes++;
    void this.write(g).finally(() => {
      this.writes--;
      this.inflightBytes -= g.bytes;
      if (this.closing) this.pending.due = true;
      this.pump();
      if (this.writes === 0 && this.pending.waiters.length === 0) for (const r of this.idle) r();
      if (this.writes === 0 && this.pending.waiters.length === 0) this.idle.clear();
    });
  }

  /**
   * The newest fragment id in the inbox, listing only ids after the newest one already known: a
   * fragment another server acknowledged before this write's requests arrived is in the listing,
   * and this write's id must sort after it whatever the two clocks say (SPEC §11: the latest record
   * of a key wins, in fragment id order).
   */
  private async newestInInbox(): Promise<string | undefined> {
    const prefix = this.layout.key(this.layout.inbox());
    const known = this.newest;
    for await (const o of this.options.store.list(prefix, { startAfter: known === undefined ? undefined : prefix + known })) {
      this.known(o.key.slice(prefix.length));
    }
    return this.newest;
  }

  /** Notes `id` as seen in the inbox; returns it. */
  private known(id: string): string {
    if (isFragmentId(id) && (this.newest === undefined || id > this.newest)) this.newest = id;
    return id;
  }

  /**
   * Writes the group's fragment create-only, each request sent once: a create resent after its
   * first attempt was stored unanswered could recreate a fragment a compaction consumed and deleted
   * meanwhile, which a later compaction would apply again. A write without an answer fails the group
   * (its requests are not acknowledged; clients send them again). An id found taken by the same bytes
   * is this write's own: it is not written again. An id taken by other bytes moves the fragment to the next id.
   */
  private async write(g: Group): Promise<void> {
    const o = this.options;
    const body = Buffer.concat(g.parts, g.bytes);
    try {
      let id = this.known(o.ids.next(o.orderAfterInbox === false ? undefined : await this.newestInInbox()));
      try {
        await writeOnce(o.store, this.layout.key(this.layout.inboxFragment(id)), body, { sendOnce: true });
      } catch (err) {
        if (!(err instanceof ConflictingObjectError)) throw err;
        id = this.known(o.ids.next(id));
        await o.store.put(this.layout.key(this.layout.inboxFragment(id)), body, { kind: "create", sendOnce: true });
      }
      o.onWritten?.({ id, bytes: body.length, records: g.records, requests: g.waiters.length });
      for (const w of g.waiters) w.resolve({ fragment: id });
    } catch (err) {
      o.onFailed?.(err);
      const failure = new IntakeStoreError(o.datasetId, err);
      for (const w of g.waiters) w.reject(failure);
    }
  }
}

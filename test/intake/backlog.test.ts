import { afterEach, describe, expect, it, vi } from "vitest";
import { BacklogTracker, measureBacklog } from "../../src/intake/backlog";
import type { ListOptions, ObjectInfo, ObjectStore } from "../../src/store/types";

/** A store whose every inbox listing takes `listMs` (fake timers) and yields one 100-byte fragment; it records each listing's options. */
function slowStore(url: string, listMs: number): { store: ObjectStore; listings: Array<ListOptions | undefined> } {
  const listings: Array<ListOptions | undefined> = [];
  const store = {
    url,
    async *list(prefix: string, options?: ListOptions): AsyncIterable<ObjectInfo> {
      listings.push(options);
      await new Promise((r) => setTimeout(r, listMs));
      yield { key: `${prefix}20261130T000000000Z-000000-000000000000`, size: 100, lastModified: new Date(0), etag: "e" } as ObjectInfo;
    },
  } as unknown as ObjectStore;
  return { store, listings };
}

afterEach(() => {
  vi.useRealTimers();
});

/** A tracker (fake timers, 1-s listings of a 100-byte inbox) started with `everyMs` and a bound of 100 bytes, after its first listing. */
async function startedOverBound(everyMs: number) {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
  const { store, listings } = slowStore("file:///store", 1000);
  const tracker = new BacklogTracker(store);
  const started = tracker.start(["events"], everyMs, () => tracker.get("events").bytes >= 100);
  await vi.advanceTimersByTimeAsync(1000);
  await started;
  return { tracker, listings };
}

describe("BacklogTracker", () => {
  it("joins a listing already under way instead of starting another", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const { store, listings } = slowStore("file:///store", 1000);
    const tracker = new BacklogTracker(store);
    const both = Promise.all([tracker.refresh(["events"]), tracker.refresh(["events"])]);
    await vi.advanceTimersByTimeAsync(1000);
    await both;
    expect(listings).toHaveLength(1);
    expect(tracker.get("events")).toMatchObject({ fragments: 1, bytes: 100 });
  });

  it("after a listing that took d ms, lists again no sooner than DUTY_PAUSE × d, and never after stop", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const { store, listings } = slowStore("file:///store", 1000);
    const tracker = new BacklogTracker(store);
    const started = tracker.start(["events"], 500);
    await vi.advanceTimersByTimeAsync(1000);
    await started;
    expect(listings).toHaveLength(1);
    const pause = BacklogTracker.DUTY_PAUSE * 1000;
    await vi.advanceTimersByTimeAsync(pause - 1);
    expect(listings).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(listings).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1000);
    tracker.stop();
    await vi.advanceTimersByTimeAsync(10 * pause);
    expect(listings).toHaveLength(2);
  });

  it("while a dataset is over its bound, lists again after the plain interval", async () => {
    const { tracker, listings } = await startedOverBound(500);
    await vi.advanceTimersByTimeAsync(500);
    expect(listings).toHaveLength(2);
    tracker.stop();
  });

  it("while a dataset is over its bound, lists again within a second even when its interval is longer", async () => {
    const { tracker, listings } = await startedOverBound(5000);
    expect(listings).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(listings).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(listings).toHaveLength(2);
    tracker.stop();
  });

  it("lists a file:// inbox in small pages and leaves other stores their own page size", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "performance"] });
    const file = slowStore("file:///store", 0);
    const s3 = slowStore("s3://bucket/prefix", 0);
    const measured = Promise.all([measureBacklog(file.store, "events"), measureBacklog(s3.store, "events")]);
    await vi.advanceTimersByTimeAsync(0);
    await measured;
    expect(file.listings[0]?.pageSize).toBe(32);
    expect(s3.listings[0]?.pageSize).toBeUndefined();
  });
});

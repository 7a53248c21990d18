import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AlreadyExistsError } from "../../src/errors";
import { FragmentIds } from "../../src/intake/fragment-id";
import { GroupCommitter } from "../../src/intake/group";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";

/** A store whose puts wait until released one by one; it records every key and body it was given, and lists the keys it was given. */
function heldStore(): { store: ObjectStore; puts: { key: string; body: string }[]; releaseNext(): void } {
  const puts: { key: string; body: string }[] = [];
  const waiting: (() => void)[] = [];
  const store = {
    put: (key: string, body: Buffer) => {
      puts.push({ key, body: body.toString("utf8") });
      return new Promise<{ etag: string; size: number }>((resolve) => waiting.push(() => resolve({ etag: "e", size: body.length })));
    },
    async *list(prefix: string, options: { startAfter?: string } = {}) {
      await Promise.resolve();
      for (const p of [...puts].sort((a, b) => a.key.localeCompare(b.key))) {
        if (p.key.startsWith(prefix) && (options.startAfter === undefined || p.key > options.startAfter)) yield { key: p.key, size: p.body.length };
      }
    },
  } as unknown as ObjectStore;
  return { store, puts, releaseNext: () => waiting.shift()!() };
}

/** Lets every pending immediate and I/O callback run (never a timer). */
const turns = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

const line = (id: string): Buffer => Buffer.from(`{"id":"${id}"}\n`);

function committer(store: ObjectStore, delayMs: number): GroupCommitter {
  return new GroupCommitter({ store, datasetId: "clicks", ids: new FragmentIds(), delayMs, maxGroupBytes: 1 << 20, maxInflightBytes: 1 << 24, maxWrites: 1 });
}

describe("group commit", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("without a delay writes a request at once (no timer runs) and groups the requests that arrive during that write into the next fragment", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "setInterval", "Date"] });
    const held = heldStore();
    const groups = committer(held.store, 0);
    const first = groups.submit(line("a"), 1);
    await turns();
    expect(held.puts.map((p) => p.body)).toEqual(['{"id":"a"}\n']);
    const rest = ["b", "c", "d"].map((id) => groups.submit(line(id), 1));
    await turns();
    expect(held.puts).toHaveLength(1);
    expect(groups.pendingRecords).toBe(3);
    held.releaseNext();
    const a = await first;
    await turns();
    expect(held.puts.map((p) => p.body)).toEqual(['{"id":"a"}\n', '{"id":"b"}\n{"id":"c"}\n{"id":"d"}\n']);
    held.releaseNext();
    const fragments = (await Promise.all(rest)).map((c) => c.fragment);
    expect(new Set(fragments).size).toBe(1);
    expect(fragments[0]).not.toBe(a.fragment);
    expect(held.puts[1].key.endsWith(`/inbox/${fragments[0]}`)).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("with a delay holds a group until the delay's timer fires", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "setInterval", "Date"] });
    const held = heldStore();
    const groups = committer(held.store, 50);
    const waiting = [groups.submit(line("a"), 1), groups.submit(line("b"), 1)];
    await turns();
    expect(held.puts).toHaveLength(0);
    vi.advanceTimersByTime(50);
    await turns();
    expect(held.puts.map((p) => p.body)).toEqual(['{"id":"a"}\n{"id":"b"}\n']);
    held.releaseNext();
    const [x, y] = await Promise.all(waiting);
    expect(x.fragment).toBe(y.fragment);
  });

  it("a fragment stored by an attempt whose answer was lost (the retry finds its own bytes, 412) is not written again under another id", async () => {
    const real = new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-group-lost-")));
    const attempts: string[] = [];
    const store: ObjectStore = Object.create(real);
    store.put = async (key, body, mode) => {
      attempts.push(key);
      const stored = await real.put(key, body, mode);
      if (attempts.length === 1) throw new AlreadyExistsError(key);
      return stored;
    };
    const groups = committer(store, 0);
    const [a, b] = await Promise.all([groups.submit(line("a"), 1), groups.submit(line("b"), 1)]);
    expect(attempts).toHaveLength(1);
    expect(b.fragment).toBe(a.fragment);
    const inbox: string[] = [];
    for await (const o of real.list("datasets/clicks/inbox/")) inbox.push(o.key);
    expect(inbox).toEqual([`datasets/clicks/inbox/${a.fragment}`]);
    expect((await real.get(inbox[0])).body.toString()).toBe('{"id":"a"}\n{"id":"b"}\n');
  });

  it("an id already taken by other bytes moves the fragment to the next id", async () => {
    const real = new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-group-taken-")));
    const ids = new FragmentIds(() => Date.UTC(2026, 11, 3));
    const taken = new FragmentIds(() => Date.UTC(2026, 11, 3)).next();
    await real.put(`datasets/clicks/inbox/${taken}`, "other bytes\n", { kind: "create" });
    const forced = { next: (after?: string) => (after === undefined ? taken : ids.next(after)) } as unknown as FragmentIds;
    const groups = new GroupCommitter({ store: real, datasetId: "clicks", ids: forced, delayMs: 0, maxGroupBytes: 1 << 20, maxInflightBytes: 1 << 24, maxWrites: 1, orderAfterInbox: false });
    const c = await groups.submit(line("c"), 1);
    expect(c.fragment).not.toBe(taken);
    expect(c.fragment > taken).toBe(true);
    expect((await real.get(`datasets/clicks/inbox/${taken}`)).body.toString()).toBe("other bytes\n");
    expect((await real.get(`datasets/clicks/inbox/${c.fragment}`)).body.toString()).toBe('{"id":"c"}\n');
  });
});

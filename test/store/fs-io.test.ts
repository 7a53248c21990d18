import fs, { promises as fsp, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fsyncDir } from "../../src/store/fs-io";

/** Every directory fsync the test saw: when it started and ended, on one shared counter of events. */
function recordSyncs(dir: string) {
  let clock = 0;
  const syncs: { start: number; end: number }[] = [];
  const dirFds = new Set<number>();
  const openSync = fs.openSync.bind(fs);
  vi.spyOn(fs, "openSync").mockImplementation((...args: Parameters<typeof fs.openSync>) => {
    const fd = openSync(...args);
    if (args[0] === dir) dirFds.add(fd);
    return fd;
  });
  const fsync = fs.fsync.bind(fs);
  vi.spyOn(fs, "fsync").mockImplementation((fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
    if (!dirFds.has(fd)) return fsync(fd, callback);
    const entry = { start: ++clock, end: Infinity };
    syncs.push(entry);
    fsync(fd, (err) => {
      entry.end = ++clock;
      callback(err);
    });
  });
  return { syncs, tick: () => ++clock };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("fsyncDir", () => {
  it("groups concurrent calls on one directory, and every call waits for an fsync that started after it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tm-fsyncdir-"));
    const { syncs, tick } = recordSyncs(dir);
    const calls: { at: number; resolved: number }[] = [];
    const call = async () => {
      const entry = { at: tick(), resolved: Infinity };
      calls.push(entry);
      await fsyncDir(dir);
      entry.resolved = tick();
    };
    await Promise.all(Array.from({ length: 20 }, call));
    await call();
    expect(calls).toHaveLength(21);
    // The first of the 20 starts one fsync, the other 19 share the next; the last call, alone, gets its own.
    expect(syncs).toHaveLength(3);
    for (const c of calls) expect(syncs.some((s) => s.start > c.at && s.end < c.resolved)).toBe(true);
  });

  it("a failed fsync rejects its callers and the next call starts a new one", async () => {
    const missing = join(mkdtempSync(join(tmpdir(), "tm-fsyncdir-")), "gone");
    await expect(fsyncDir(missing)).rejects.toMatchObject({ code: "ENOENT" });
    await fsp.mkdir(missing);
    await expect(fsyncDir(missing)).resolves.toBeUndefined();
  });
});

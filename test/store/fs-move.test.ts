import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AlreadyExistsError } from "../../src/errors";
import { FsObjectStore } from "../../src/store/fs";

/** A store and a directory for local files, both under one fresh temp directory (one filesystem). */
function bed(localBase = tmpdir()) {
  const root = join(mkdtempSync(join(tmpdir(), "tm-move-")), "store");
  const local = mkdtempSync(join(localBase, "tm-move-local-"));
  const file = (name: string, body: string) => {
    const path = join(local, name);
    writeFileSync(path, body);
    return path;
  };
  return { store: new FsObjectStore(root), root, file };
}

describe("FsObjectStore.moveFile", () => {
  it("stores the file itself: the key holds its inode and bytes, the local path is gone, no temporary file is left", async () => {
    const { store, root, file } = bed();
    const path = file("m.parquet", "month bytes");
    const inode = statSync(path).ino;
    const put = await store.moveFile("datasets/d/projections/latest/a.parquet", path, { kind: "create" });
    const stored = join(root, "datasets", "d", "projections", "latest", "a.parquet");
    expect(existsSync(path)).toBe(false);
    expect(statSync(stored).ino).toBe(inode);
    expect(statSync(stored).nlink).toBe(1);
    expect(readFileSync(stored, "utf8")).toBe("month bytes");
    expect(readdirSync(join(root, "datasets", "d", "projections", "latest"))).toEqual(["a.parquet"]);
    expect(put).toEqual({ etag: (await store.head("datasets/d/projections/latest/a.parquet")).etag, size: 11 });
  });

  it("a create-only key already taken fails with AlreadyExistsError and keeps both the stored object and the local file", async () => {
    const { store, root, file } = bed();
    await store.put("datasets/d/x", "first", { kind: "create" });
    const path = file("x", "second");
    await expect(store.moveFile("datasets/d/x", path, { kind: "create" })).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(readFileSync(path, "utf8")).toBe("second");
    expect((await store.get("datasets/d/x")).body.toString()).toBe("first");
    expect(readdirSync(join(root, "datasets", "d"))).toEqual(["x"]);
  });

  it("overwrite replaces the object", async () => {
    const { store, file } = bed();
    await store.put("datasets/d/s", "old");
    await store.moveFile("datasets/d/s", file("s", "new"));
    expect((await store.get("datasets/d/s")).body.toString()).toBe("new");
  });

  it("a file on another filesystem (tmpfs /dev/shm) is copied, then removed", async () => {
    expect(statSync("/dev/shm").dev).not.toBe(statSync(tmpdir()).dev);
    const { store, root, file } = bed("/dev/shm");
    const path = file("c", "across");
    const inode = statSync(path).ino;
    await store.moveFile("datasets/d/c", path, { kind: "create" });
    expect(existsSync(path)).toBe(false);
    expect(readFileSync(join(root, "datasets", "d", "c"), "utf8")).toBe("across");
    expect(statSync(join(root, "datasets", "d", "c")).ino).not.toBe(inode);
  });
});

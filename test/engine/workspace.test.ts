import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConflictingObjectError } from "../../src/errors";
import { Workspace } from "../../src/engine/workspace";
import { FsObjectStore } from "../../src/store/fs";

async function bed() {
  const base = mkdtempSync(join(tmpdir(), "tm-workspace-"));
  const store = new FsObjectStore(join(base, "store"));
  const workspace = await Workspace.open(store, join(base, "engine"));
  return { base, store, workspace };
}

describe("Workspace uploads [file store]", () => {
  it("with move, gives a file of the workspace to the store (gone locally); without move, copies it", async () => {
    const { store, workspace } = await bed();
    const moved = workspace.path("a.parquet");
    const copied = workspace.path("b.parquet");
    writeFileSync(moved, "aaa");
    writeFileSync(copied, "bbb");
    expect(await workspace.uploadOnce(moved, "datasets/d/a", { move: true })).toBe(3);
    expect(await workspace.uploadScratch(copied, "datasets/d/b")).toBe(3);
    expect(existsSync(moved)).toBe(false);
    expect(existsSync(copied)).toBe(true);
    expect((await store.get("datasets/d/a")).body.toString()).toBe("aaa");
    expect((await store.get("datasets/d/b")).body.toString()).toBe("bbb");
    await workspace.close();
  });

  it("never moves a file outside the workspace, such as a store object read in place", async () => {
    const { base, store, workspace } = await bed();
    const outside = join(base, "outside.parquet");
    writeFileSync(outside, "keep me");
    await workspace.uploadOnce(outside, "datasets/d/o", { move: true });
    expect(existsSync(outside)).toBe(true);
    expect((await store.get("datasets/d/o")).body.toString()).toBe("keep me");
    await workspace.close();
  });

  it("a retry that finds its own bytes succeeds and keeps its file; other bytes are a conflict", async () => {
    const { store, workspace } = await bed();
    await store.put("datasets/d/i", "same", { kind: "create" });
    const again = workspace.path("i.parquet");
    writeFileSync(again, "same");
    expect(await workspace.uploadOnce(again, "datasets/d/i", { move: true })).toBe(4);
    expect(existsSync(again)).toBe(true);
    const other = workspace.path("j.parquet");
    writeFileSync(other, "diff");
    await expect(workspace.uploadOnce(other, "datasets/d/i", { move: true })).rejects.toBeInstanceOf(ConflictingObjectError);
    expect((await store.get("datasets/d/i")).body.toString()).toBe("same");
    await workspace.close();
  });
});

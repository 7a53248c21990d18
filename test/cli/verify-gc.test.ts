import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePointer, parseVersionManifest } from "../../src/manifest/schema";
import type { FsObjectStore } from "../../src/store/fs";
import { startCliBed, type CliBed } from "./bed";
import { runCli } from "./helpers";
import { monthFiles } from "../../src/manifest/month-files";

const DS = `vgc_${Date.now().toString(36)}`;
const root = `datasets/${DS}/`;
let bed: CliBed;
let store: FsObjectStore;
let env: Record<string, string>;

beforeAll(async () => {
  bed = await startCliBed("verify-gc", DS);
  ({ store, env } = bed);
});

afterAll(async () => {
  await bed?.stop();
});

async function currentManifest() {
  const pointer = parsePointer((await store.get(`${root}current/manifest.json`)).body);
  return parseVersionManifest((await store.get(root + pointer.manifest)).body);
}

describe("tidemark verify", () => {
  it("prints clean and exits 0 for a healthy dataset", async () => {
    const run = await runCli(["verify", DS], env);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toMatch(new RegExp(`^${DS} \\S+: clean$`));
  });

  it("prints one finding per line and exits 1; --repair fixes it as a new version", async () => {
    const before = await currentManifest();
    const path = monthFiles(before.projections.latest["2025-02"])[0].path;
    await store.delete(root + path);
    const run = await runCli(["verify", DS], env);
    expect(run.code).toBe(1);
    expect(run.stdout.trim().split("\n")).toEqual([`projection\t${path}\tThe object is missing although the manifest references it.`]);
    expect(run.stderr).toBe(`tidemark: ${DS} has 1 finding — rebuild it with "tidemark verify ${DS} --repair".\n`);
    const repaired = await runCli(["verify", DS, "--repair", "--json"], env);
    expect(repaired.code, repaired.stderr).toBe(0);
    const result = JSON.parse(repaired.stdout);
    expect(result).toMatchObject({ dataset: DS, version: before.version, repair: { status: "published" }, remaining: [] });
    expect(result.findings).toHaveLength(1);
    expect((await currentManifest()).version).toBe(result.repair.version);
    expect((await runCli(["verify", DS], env)).code).toBe(0);
  });

  it("refuses an invalid dataset id before any I/O", async () => {
    const run = await runCli(["verify", "../x"], { ...env, TEMPORAL_ADDRESS: "127.0.0.1:1" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Dataset id "../x" is invalid');
  });
});

describe("tidemark gc", () => {
  const junk = "runs/20200101T000000000Z-deadbeef/source";

  it("--dry-run lists the orphans and deletes nothing; a real run deletes them", async () => {
    await store.put(root + junk, "left by a crashed run", { kind: "create" });
    const young = await runCli(["gc", DS, "--json"], env);
    expect(young.code, young.stderr).toBe(0);
    expect(JSON.parse(young.stdout)).toMatchObject({ deleted: 0, young: 1, olderThanMs: 3_600_000 });
    const dry = await runCli(["gc", DS, "--older-than", "0", "--dry-run"], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`would delete\t${junk}\n`);
    expect(dry.stdout).toContain(`${DS}: would delete 1 objects (21 bytes) older than 0ms`);
    expect((await store.head(root + junk)).size).toBe(21);
    const real = await runCli(["gc", DS, "--older-than", "0"], env);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toContain(`deleted\t${junk}\n`);
    await expect(store.head(root + junk)).rejects.toThrow(/does not exist/);
    expect((await runCli(["verify", DS], env)).code).toBe(0);
  });

  it("rejects a malformed --older-than as a usage error", async () => {
    const run = await runCli(["gc", DS, "--older-than", "soon"], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("expected an age");
  });
});

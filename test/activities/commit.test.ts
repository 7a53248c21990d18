import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CAS_MARGIN_MS, CasTooLateError, casDeadline, commitVersion } from "../../activities/commit";
import { parseVersionManifest } from "../../src/manifest/schema";
import { FsObjectStore } from "../../src/store/fs";

const FIXTURE = "test/fixtures/stores/hash2-bool/datasets/flags/events/20261130T234232395Z-2e4352e3/manifest.json";

describe("the commit point's deadline", () => {
  it("is the attempt's scheduled time plus its start-to-close timeout, less the margin", () => {
    expect(CAS_MARGIN_MS).toBe(30_000);
    expect(casDeadline(1_000_000, 120_000)).toBe(1_090_000);
  });

  it("an attempt past its deadline writes its manifest but leaves the pointer alone; in time, it swaps", async () => {
    const manifest = parseVersionManifest(readFileSync(FIXTURE));
    const store = new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-commit-deadline-")));
    const pointerKey = `datasets/${manifest.dataset_id}/current/manifest.json`;
    const input = { store, manifest: { ...manifest, parent_version: null }, base: null, publishedAt: "2026-12-03T00:00:00.000Z" };

    const late = await commitVersion({ ...input, casBy: Date.now() - 5_000 }).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(CasTooLateError);
    expect((late as CasTooLateError).retryable).toBe(true);
    expect((late as Error).message).toMatch(/^This publish attempt reached its compare-and-swap 5 s past its deadline .*; it left the pointer alone and the next attempt publishes\.$/);
    await expect(store.head(pointerKey)).rejects.toThrow(/does not exist/);

    expect(await commitVersion({ ...input, casBy: Date.now() + 60_000 })).toEqual({ status: "published" });
    expect(JSON.parse(Buffer.from((await store.get(pointerKey)).body).toString())).toMatchObject({ current_version: manifest.version });
  });
});

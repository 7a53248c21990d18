import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MockActivityEnvironment } from "@temporalio/testing";
import { attemptCasDeadline, CAS_ANSWER_MARGIN_MS, CAS_MARGIN_MS, CasTooLateError, casDeadline, commitVersion, isPublished } from "../../activities/commit";
import { BrokenChainError } from "../../src/errors";
import { parseVersionManifest } from "../../src/manifest/schema";
import { FsObjectStore } from "../../src/store/fs";
import type { WriteMode } from "../../src/store/types";

const FIXTURE = "test/fixtures/stores/hash2-bool/datasets/flags/events/20261130T234232395Z-2e4352e3/manifest.json";

describe("the commit point's deadline", () => {
  it("is the attempt's start on this worker's clock plus its start-to-close timeout, less the margin", async () => {
    expect(CAS_MARGIN_MS).toBe(30_000);
    expect(casDeadline(1_000_000, 120_000)).toBe(1_090_000);
    const before = Date.now();
    const inActivity = await new MockActivityEnvironment({ startToCloseTimeoutMs: 120_000, currentAttemptScheduledTimestampMs: before - 3_600_000 }).run(async () => attemptCasDeadline());
    expect(inActivity).toBeGreaterThanOrEqual(before + 90_000);
    expect(inActivity).toBeLessThanOrEqual(Date.now() + 90_000);
    expect(attemptCasDeadline()).toBeUndefined();
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

  it("a commit check on a broken chain fails at once with BrokenChainError (no retry can answer it), naming the missing manifest", async () => {
    const manifest = parseVersionManifest(readFileSync(FIXTURE));
    const store = new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-commit-broken-")));
    const dataset = manifest.dataset_id;
    await store.put(`datasets/${dataset}/current/manifest.json`, JSON.stringify({ format: "tidemark.pointer/1", dataset_id: dataset, current_version: "20261203T000000000Z-0000000a", manifest: "events/20261203T000000000Z-0000000a/manifest.json", parent_version: manifest.version, published_at: "2026-12-03T00:00:00.000Z" }));
    const err = await isPublished(store, dataset, manifest.version, null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokenChainError);
    expect((err as BrokenChainError).retryable).toBe(false);
    expect((err as Error).message).toBe(`The version chain of ${dataset} is broken: the manifest of 20261203T000000000Z-0000000a does not exist; run "tidemark verify ${dataset}".`);
  });

  it("a commit check walks as far back as the chain goes (1,200 versions since the base) and refuses a chain that loops", async () => {
    const manifest = parseVersionManifest(readFileSync(FIXTURE));
    const store = new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-commit-long-")));
    const dataset = manifest.dataset_id;
    const id = (i: number) => `20261203T000000000Z-${i.toString(16).padStart(8, "0")}`;
    const write = (i: number, parent: string | null) => store.put(`datasets/${dataset}/events/${id(i)}/manifest.json`, JSON.stringify({ ...manifest, version: id(i), parent_version: parent }));
    const pointTo = (i: number) =>
      store.put(`datasets/${dataset}/current/manifest.json`, JSON.stringify({ format: "tidemark.pointer/1", dataset_id: dataset, current_version: id(i), manifest: `events/${id(i)}/manifest.json`, parent_version: null, published_at: "2026-12-03T00:00:00.000Z" }));
    for (let i = 1; i <= 1200; i++) await write(i, i === 1 ? null : id(i - 1));
    await pointTo(1200);
    expect(await isPublished(store, dataset, id(1), null)).toBe(true);
    expect(await isPublished(store, dataset, id(5000), null)).toBe(false);
    await write(1, id(3));
    const err = await isPublished(store, dataset, id(5000), null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokenChainError);
    expect((err as Error).message).toContain("loops");
  });

  it("the CAS request must be answered 5 s before the attempt's timeout: the pointer write carries that deadline, for a first version and an update", async () => {
    const manifest = parseVersionManifest(readFileSync(FIXTURE));
    const fs = new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-commit-by-")));
    const pointerModes: WriteMode[] = [];
    const store = new Proxy(fs, {
      get: (t, p) => (p === "put" ? (k: string, b: string, m: WriteMode) => (k.endsWith("current/manifest.json") && pointerModes.push(m), t.put(k, b, m)) : (Reflect.get(t, p) as unknown)),
    });
    const casBy = Date.now() + 60_000;
    const first = { store, manifest: { ...manifest, parent_version: null }, base: null, publishedAt: "2026-12-03T00:00:00.000Z", casBy };
    expect(await commitVersion(first)).toEqual({ status: "published" });
    const etag = (await fs.head(`datasets/${manifest.dataset_id}/current/manifest.json`)).etag;
    const next = { ...manifest, version: "20261203T000000000Z-0000abcd", parent_version: manifest.version };
    expect(await commitVersion({ ...first, manifest: next, base: { version: manifest.version, etag } })).toEqual({ status: "published" });
    expect(CAS_ANSWER_MARGIN_MS).toBe(5_000);
    const by = casBy + CAS_MARGIN_MS - CAS_ANSWER_MARGIN_MS;
    expect(pointerModes).toEqual([{ kind: "create", by }, { kind: "update", etag, by }]);
  });
});

import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareActivities } from "../../activities/prepare";
import { parseDefinition } from "../../src/definition";
import { Engine } from "../../src/engine/connection";
import { RACY_MS, unchangedSince } from "../../src/sources/file-validator";
import { FsObjectStore } from "../../src/store/fs";
import { pushDefinitionYaml, seriesDefinitionYaml } from "../support/definitions";

const dir = mkdtempSync(join(tmpdir(), "tm-prepare-"));
let engine: Engine;
beforeAll(async () => {
  engine = await Engine.open({ memoryLimit: "1GB", threads: 2, tempDirectory: join(dir, "tmp") });
});
afterAll(() => engine?.close());

const PUSH_YAML = pushDefinitionYaml("pushed");

/** Every object key under `prefix`, relative to it, sorted. */
async function keysUnder(store: FsObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key.slice(prefix.length));
  return keys.sort();
}

describe("prepare keeps the source and its normalized rows in the worker's workspace", () => {
  it("a file source: its stat is recorded as its validator; the run's scratch in the store holds only the delta's changes and removals, and the index is under the version", async () => {
    const source = join(dir, "series.csv");
    writeFileSync(source, "series_id,obs_date,value\nA,2024-01-01,1\nA,2024-02-01,2\nB,2024-01-01,3\n");
    const definition = parseDefinition(seriesDefinitionYaml({ id: "pf", uri: `file://${source}`, mode: "upsert" }), "pf.yaml");
    const store = new FsObjectStore(join(dir, "store-file"));
    const version = "0000000000001aaaaaaaaaaaa";
    const prepared = await prepareActivities({ store, datasetsDir: dir, engine: async () => engine }).prepare({ dataset: "pf", version, scratch: version, uri: `file://${source}`, definition, base: null });
    expect(prepared.status).toBe("planned");
    if (prepared.status !== "planned") return;
    expect(prepared.delta.counts.inserted).toBe(3);
    expect(prepared.source.key).toBeUndefined();
    expect(unchangedSince(prepared.source.etag!.replace(/@\d+$/, `@${Date.now() + RACY_MS + 1000}`), statSync(source, { bigint: true }))).toBe(true);
    expect(await keysUnder(store, `datasets/pf/runs/${version}/`)).toEqual(["changes.parquet", "removals.parquet"]);
    expect(await keysUnder(store, `datasets/pf/index/`)).toEqual([`${version}/keys.parquet`]);
  });

  it("a file on a network or FUSE filesystem: no stat is recorded as its validator, so the quick check hashes it", async () => {
    const source = join(dir, "remote.csv");
    writeFileSync(source, "series_id,obs_date,value\nA,2024-01-01,1\n");
    const definition = parseDefinition(seriesDefinitionYaml({ id: "pn", uri: `file://${source}`, mode: "upsert" }), "pn.yaml");
    const store = new FsObjectStore(join(dir, "store-nfs"));
    const asked: string[] = [];
    const nfs = async (path: string) => {
      asked.push(path);
      return 0x6969;
    };
    const version = "0000000000001cccccccccccc";
    const prepared = await prepareActivities({ store, datasetsDir: dir, engine: async () => engine, sources: { filesystemType: nfs } }).prepare({ dataset: "pn", version, scratch: version, uri: `file://${source}`, definition, base: null });
    expect(asked).toEqual([source]);
    expect(prepared.status).toBe("planned");
    expect(prepared.source.etag).toBeNull();
  });

  it("a push dataset: the inbox fragments are read where they are; the run's scratch holds only changes and removals, and the fragments stay until publish", async () => {
    const definition = parseDefinition(PUSH_YAML, "pushed.yaml");
    const store = new FsObjectStore(join(dir, "store-push"));
    const fragments = ["20261130T120000000Z-000000-0123456789ab", "20261130T120000001Z-000000-0123456789ab"];
    await store.put(`datasets/pushed/inbox/${fragments[0]}`, '{"id":"a","at":"2024-01-01T00:00:00.000000Z","n":1}\n{"id":"b","at":"2024-02-01T00:00:00.000000Z","n":2}\n', { kind: "create" });
    await store.put(`datasets/pushed/inbox/${fragments[1]}`, '{"id":"a","at":"2024-01-01T00:00:00.000000Z","n":3}\n', { kind: "create" });
    const version = "0000000000001bbbbbbbbbbbb";
    const prepared = await prepareActivities({ store, datasetsDir: dir, engine: async () => engine }).prepare({ dataset: "pushed", version, scratch: version, uri: "push:pushed", definition, base: null });
    expect(prepared.status).toBe("planned");
    if (prepared.status !== "planned") return;
    expect(prepared.source.fragments).toEqual(fragments);
    expect(prepared.normalized.rows).toBe(3);
    expect(prepared.delta.counts.inserted).toBe(2);
    expect(await keysUnder(store, `datasets/pushed/runs/${version}/`)).toEqual(["changes.parquet", "fragments.json", "removals.parquet"]);
    expect(await keysUnder(store, "datasets/pushed/inbox/")).toEqual(fragments);
  });

  it("a retry of a push compaction applies exactly the fragments its first attempt recorded, though more arrived: same version, same index bytes", async () => {
    const definition = parseDefinition(PUSH_YAML, "pushed.yaml");
    const store = new FsObjectStore(join(dir, "store-retry"));
    const first = "20261130T120000000Z-000000-0123456789ab";
    await store.put(`datasets/pushed/inbox/${first}`, '{"id":"a","at":"2024-01-01T00:00:00.000000Z","n":1}\n', { kind: "create" });
    const version = "0000000000001cccccccccccc";
    const prepare = () => prepareActivities({ store, datasetsDir: dir, engine: async () => engine }).prepare({ dataset: "pushed", version, scratch: version, uri: "push:pushed", definition, base: null });
    const attempt1 = await prepare();
    const later = "20261130T120000005Z-000000-0123456789ab";
    await store.put(`datasets/pushed/inbox/${later}`, '{"id":"b","at":"2024-02-01T00:00:00.000000Z","n":2}\n', { kind: "create" });
    const attempt2 = await prepare();
    expect(attempt2).toEqual(attempt1);
    if (attempt2.status !== "planned") throw new Error(attempt2.status);
    expect(attempt2.source.fragments).toEqual([first]);
    expect(attempt2.delta.counts.inserted).toBe(1);
    // Without the recorded plan the retry takes the new fragment too and cannot write the version's index.
    await store.delete(`datasets/pushed/runs/${version}/fragments.json`);
    await expect(prepare()).rejects.toThrow(/already exists with different content/);
  });
});

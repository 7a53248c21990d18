import { MockActivityEnvironment } from "@temporalio/testing";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ResumeDetails } from "../../activities/heartbeat";
import { prepareActivities } from "../../activities/prepare";
import { writeActivities, type Written } from "../../activities/write";
import { parseDefinition } from "../../src/definition";
import { Engine } from "../../src/engine/connection";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";
import { seriesDefinitionYaml } from "../support/definitions";

const dir = mkdtempSync(join(tmpdir(), "tm-write-resume-"));
let engine: Engine;
beforeAll(async () => {
  engine = await Engine.open({ memoryLimit: "256MB", threads: 2, tempDirectory: join(dir, "tmp") });
});
afterAll(() => engine?.close());

const MONTHS = 12;
const source = join(dir, "source.csv");
const definition = parseDefinition(seriesDefinitionYaml({ id: "wr", uri: `file://${source}`, mode: "snapshot" }), "wr.yaml");

/** Keys of every object written through `store` (create-only puts), in order. */
function recording(store: ObjectStore, keys: string[]): ObjectStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === "put" || prop === "putStream" || prop === "putFile" || prop === "moveFile") {
        return (key: string, ...rest: unknown[]) => {
          keys.push(key);
          return (target[prop] as (...a: unknown[]) => Promise<unknown>).call(target, key, ...rest);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe("write resumes from the heartbeat of a previous attempt", () => {
  it("a retry writes only the items (the event file, projection months) the previous attempt had not finished, and returns what a full attempt returns", async () => {
    const lines = ["series_id,obs_date,value"];
    for (const s of ["A", "B", "C"]) for (let m = 0; m < MONTHS; m++) lines.push(`${s},2024-${String(m + 1).padStart(2, "0")}-01,${m * 1.5}`);
    writeFileSync(source, lines.join("\n") + "\n");
    const store = new FsObjectStore(join(dir, "store"));
    const version = "0000000000001aaaaaaaaaaaa";
    const deps = { store, datasetsDir: dir, engine: async () => engine };
    const prepared = await prepareActivities(deps).prepare({ dataset: "wr", version, scratch: version, uri: `file://${source}`, definition, base: null });
    if (prepared.status !== "planned") throw new Error(prepared.status);
    const input = { dataset: "wr", version, definition, base: null, months: prepared.delta.months };
    expect(input.months).toHaveLength(MONTHS);

    const first = new MockActivityEnvironment();
    const beats: ResumeDetails<unknown>[] = [];
    first.on("heartbeat", (d: ResumeDetails<unknown> | undefined) => d?.done && beats.push(structuredClone(d)));
    const firstKeys: string[] = [];
    const full: Written = await first.run(() => writeActivities({ ...deps, store: recording(store, firstKeys) }).write(input));
    expect(firstKeys.filter((k) => k.includes("/events/"))).toEqual([`wr/events/${version}/data/part-00000.parquet`].map((k) => `datasets/${k}`));
    expect(firstKeys).toHaveLength(1 + MONTHS);
    const last = beats.at(-1)!;
    expect(last.progress).toBe(`${1 + MONTHS}/${1 + MONTHS}`);

    // The previous attempt "died" with the event file and the first 5 projection months finished.
    const keep = Object.keys(last.done).filter((k) => !k.startsWith("parts:") || Number(k.slice(-2)) <= 5);
    const previous: ResumeDetails<unknown> = { done: Object.fromEntries(keep.map((k) => [k, last.done[k]])), progress: `${keep.length}/${1 + MONTHS}` };
    expect(keep).toHaveLength(1 + 5);
    const retryKeys: string[] = [];
    const retry = new MockActivityEnvironment({ heartbeatDetails: previous });
    const resumed = await retry.run(() => writeActivities({ ...deps, store: recording(store, retryKeys) }).write(input));

    const unfinished = Object.keys(last.done).filter((k) => !keep.includes(k)).map((k) => k.replace(/^parts:[^/]+\//, ""));
    expect(retryKeys).toHaveLength(MONTHS - 5);
    expect(retryKeys.map((k) => /year=(\d{4})\/month=(\d{2})\//.exec(k)!.slice(1, 3).join("-")).sort()).toEqual(unfinished.sort());
    expect(retryKeys.every((k) => k.includes("/projections/"))).toBe(true);
    expect(resumed).toEqual(full);
  });
});

import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { fetchSourceActivities } from "../../activities/steps";
import { NotFoundError } from "../../src/errors";
import { FsObjectStore } from "../../src/store/fs";

describe("fetchSource", () => {
  const dir = mkdtempSync(join(tmpdir(), "tm-fetch-"));
  const file = join(dir, "series.csv");
  const body = "series_id,obs_date,value\nA,2025-01-01,1\n";
  writeFileSync(file, body);
  const sha256 = createHash("sha256").update(body).digest("hex");
  const store = new FsObjectStore(join(dir, "store"));
  const { fetchSource } = fetchSourceActivities({ store, datasetsDir: dir });
  const uri = pathToFileURL(file).href;

  it("copies the source to the run's scratch with its sha256 and size", async () => {
    const fetched = await fetchSource({ dataset: "ds", version: "v1", uri, unchangedIf: "0".repeat(64) });
    expect(fetched).toMatchObject({ sha256, bytes: body.length, uri });
    expect((await store.get(fetched.key)).body.toString()).toBe(body);
  });

  it("does not copy a local file whose sha256 equals the current version's", async () => {
    const fetched = await fetchSource({ dataset: "ds", version: "v2", uri, unchangedIf: sha256 });
    expect(fetched).toMatchObject({ sha256, bytes: body.length });
    await expect(store.head(fetched.key)).rejects.toBeInstanceOf(NotFoundError);
  });
});

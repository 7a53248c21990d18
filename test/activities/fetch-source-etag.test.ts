import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchSourceActivities } from "../../activities/steps";
import { NotFoundError } from "../../src/errors";
import { DatasetLayout } from "../../src/layout";
import { serializeJson } from "../../src/manifest/schema";
import { FsObjectStore } from "../../src/store/fs";
import { startHttpServer } from "../support/http";
import { recordedSourceManifest, type RecordedSourceFields } from "../support/recorded-manifest";
import { testSourcePolicy } from "../support/source-allow";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const dataset = "rates";
const layout = new DatasetLayout(dataset);
const baseVersion = "20250101T000000000Z-00000001";

const manifest = (source: RecordedSourceFields) => recordedSourceManifest(dataset, baseVersion, source);

describe("fetchSource of an https/s3-style source with a recorded ETag", () => {
  const dir = mkdtempSync(join(tmpdir(), "tm-fetch-etag-"));
  const store = new FsObjectStore(join(dir, "store"));
  const { fetchSource } = fetchSourceActivities({ store, datasetsDir: dir, sources: { policy: testSourcePolicy() } });
  const served = { body: "series_id,obs_date,value\nA,2025-01-01,1\n", etag: '"v1"' as string | null };
  const answers: number[] = [];
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  let uri: string;

  beforeAll(async () => {
    server = await startHttpServer((req, res) => {
      const status = served.etag !== null && req.headers["if-none-match"] === served.etag ? 304 : 200;
      answers.push(status);
      if (served.etag !== null) res.setHeader("etag", served.etag);
      res.statusCode = status;
      res.end(status === 304 ? undefined : served.body);
    });
    uri = `${server.url}/rates.csv`;
  });
  afterAll(() => server.close());

  async function record(etag: string | null, body: string): Promise<string> {
    const path = layout.versionManifest(baseVersion);
    await store.put(layout.key(path), serializeJson(manifest({ uri, bytes: body.length, sha256: sha(body), etag })), { kind: "overwrite" });
    return path;
  }

  it("ends with the recorded hash after a 304, downloading and staging nothing", async () => {
    const baseManifest = await record('"v1"', served.body);
    const before = server.received.length;
    const fetched = await fetchSource({ dataset, version: "v-unchanged", uri, unchangedIf: sha(served.body), baseManifest });
    expect(server.received.slice(before).map((r) => r.headers["if-none-match"])).toEqual(['"v1"']);
    expect(answers.slice(before)).toEqual([304]);
    expect(fetched).toMatchObject({ sha256: sha(served.body), bytes: served.body.length, etag: '"v1"' });
    await expect(store.head(fetched.key)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("fetches and hashes a changed source of the same size (new ETag)", async () => {
    const old = served.body;
    const baseManifest = await record('"v1"', old);
    served.body = old.replace("1\n", "2\n");
    served.etag = '"v2"';
    expect(served.body.length).toBe(old.length);
    const before = server.received.length;
    const fetched = await fetchSource({ dataset, version: "v-changed", uri, unchangedIf: sha(old), baseManifest });
    expect(server.received.slice(before).map((r) => r.headers["if-none-match"])).toEqual(['"v1"']);
    expect(answers.slice(before)).toEqual([200]);
    expect(fetched).toMatchObject({ sha256: sha(served.body), bytes: served.body.length, etag: '"v2"' });
    expect((await store.get(fetched.key)).body.toString()).toBe(served.body);
  });

  it("hashes the download when the origin gave no ETag (or a weak one)", async () => {
    served.etag = null;
    for (const [i, recorded] of [null, 'W/"v2"'].entries()) {
      const baseManifest = await record(recorded, served.body);
      const before = server.received.length;
      const fetched = await fetchSource({ dataset, version: `v-hashed-${i}`, uri, unchangedIf: sha(served.body), baseManifest });
      expect(server.received.slice(before).map((r) => r.headers["if-none-match"])).toEqual([undefined]);
      expect(answers.slice(before)).toEqual([200]);
      expect(fetched).toMatchObject({ sha256: sha(served.body), bytes: served.body.length, etag: null });
      expect((await store.get(fetched.key)).body.toString()).toBe(served.body);
    }
  });
});

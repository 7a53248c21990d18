import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revalidateActivities } from "../../activities/revalidate";
import { fetchSourceActivities } from "../../activities/steps";
import { DatasetLayout } from "../../src/layout";
import { serializeJson } from "../../src/manifest/schema";
import { FsObjectStore } from "../../src/store/fs";
import { startHttpServer } from "../support/http";
import { recordedSourceManifest } from "../support/recorded-manifest";
import { testSourcePolicy } from "../support/source-allow";

const sha = (text: string) => createHash("sha256").update(text).digest("hex");
const dataset = "rates";
const layout = new DatasetLayout(dataset);

/**
 * A static file server that derives its ETag as nginx does, from the file's mtime in whole seconds and
 * its size (`"<mtime hex>-<size hex>"`), and sends `Last-Modified` (and Node's `Date`).
 */
async function nginxLike(file: { body: string; mtimeSec: number }) {
  return startHttpServer((req, res) => {
    const etag = `"${file.mtimeSec.toString(16)}-${Buffer.byteLength(file.body).toString(16)}"`;
    res.setHeader("etag", etag);
    res.setHeader("last-modified", new Date(file.mtimeSec * 1000).toUTCString());
    if (req.headers["if-none-match"] === etag) res.writeHead(304).end();
    else res.writeHead(200).end(file.body);
  });
}

describe("an https source whose ETag is from a whole-second mtime and its size", () => {
  const dir = mkdtempSync(join(tmpdir(), "tm-etag-racy-"));
  const store = new FsObjectStore(join(dir, "store"));
  const deps = { store, datasetsDir: dir, sources: { policy: testSourcePolicy() } };
  const { fetchSource } = fetchSourceActivities(deps);
  const { sourceUnchanged } = revalidateActivities(deps);
  const file = { body: "", mtimeSec: 0 };
  let server: Awaited<ReturnType<typeof nginxLike>>;
  let uri: string;

  beforeAll(async () => {
    server = await nginxLike(file);
    uri = `${server.url}/rates.csv`;
  });
  afterAll(() => server.close());

  async function publish(version: string): Promise<string> {
    const fetched = await fetchSource({ dataset, version: `${version}-run`, uri });
    const path = layout.versionManifest(version);
    await store.put(layout.key(path), serializeJson(recordedSourceManifest(dataset, version, { uri: fetched.uri, bytes: fetched.bytes, sha256: fetched.sha256, etag: fetched.etag })), { kind: "overwrite" });
    return path;
  }

  it("is hashed again when it was rewritten in the second it was fetched, with the same size", async () => {
    const first = "series_id,obs_date,value\nA,2025-01-01,1\n";
    const second = "series_id,obs_date,value\nA,2025-01-01,2\n";
    Object.assign(file, { body: first, mtimeSec: Math.floor(Date.now() / 1000) });
    const baseManifest = await publish("20250101T000000000Z-00000001");
    file.body = second;
    const input = { dataset, version: "20250101T000000000Z-00000002", uri, unchangedIf: sha(first), baseManifest };
    expect(await sourceUnchanged(input)).toBeNull();
    expect((await fetchSource(input)).sha256).toBe(sha(second));
  });

  it("is confirmed by its ETag when it was last modified well before it was fetched", async () => {
    const body = "series_id,obs_date,value\nB,2025-01-01,1\n";
    Object.assign(file, { body, mtimeSec: Math.floor(Date.now() / 1000) - 60 });
    const baseManifest = await publish("20250101T000000000Z-00000003");
    const before = server.received.length;
    const input = { dataset, version: "20250101T000000000Z-00000004", uri, unchangedIf: sha(body), baseManifest };
    expect(await sourceUnchanged(input)).toMatchObject({ sha256: sha(body) });
    expect(server.received.slice(before).map((r) => r.headers["if-none-match"])).toEqual([`"${file.mtimeSec.toString(16)}-${body.length.toString(16)}"`]);
  });
});

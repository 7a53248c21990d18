import { createHash } from "node:crypto";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revalidateActivities } from "../../activities/revalidate";
import { DatasetLayout } from "../../src/layout";
import { fileValidator, RACY_MS } from "../../src/sources/file-validator";
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

describe("sourceUnchanged: the quick check before prepare", () => {
  const dir = mkdtempSync(join(tmpdir(), "tm-revalidate-"));
  const store = new FsObjectStore(join(dir, "store"));
  const { sourceUnchanged } = revalidateActivities({ store, datasetsDir: dir, sources: { policy: testSourcePolicy() } });
  const body = "series_id,obs_date,value\nA,2025-01-01,1\n";
  const served = { body, etag: '"v1"' as string | null };
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

  async function record(source: { uri: string; etag: string | null; body: string }): Promise<string> {
    const path = layout.versionManifest(baseVersion);
    await store.put(layout.key(path), serializeJson(manifest({ uri: source.uri, bytes: source.body.length, sha256: sha(source.body), etag: source.etag })), { kind: "overwrite" });
    return path;
  }
  const check = (u: string, baseManifest: string, unchangedIf = sha(body)) => sourceUnchanged({ dataset, version: "v-check", uri: u, unchangedIf, baseManifest });

  it("confirms an http source whose origin answers 304 to the recorded ETag, without a body", async () => {
    const baseManifest = await record({ uri, etag: '"v1"', body });
    const before = server.received.length;
    expect(await check(uri, baseManifest)).toMatchObject({ sha256: sha(body), bytes: body.length, etag: '"v1"' });
    expect(server.received.slice(before).map((r) => r.headers["if-none-match"])).toEqual(['"v1"']);
    expect(answers.slice(before)).toEqual([304]);
  });

  it("answers null when the origin sends a new ETag, or when no strong ETag was recorded (no request then)", async () => {
    served.etag = '"v2"';
    const before = server.received.length;
    expect(await check(uri, await record({ uri, etag: '"v1"', body }))).toBeNull();
    expect(answers.slice(before)).toEqual([200]);
    for (const etag of [null, 'W/"v1"']) {
      const at = server.received.length;
      expect(await check(uri, await record({ uri, etag, body }))).toBeNull();
      expect(server.received.length).toBe(at);
    }
    served.etag = '"v1"';
  });

  it("answers null for a source recorded under another URI or with another hash", async () => {
    const at = server.received.length;
    expect(await check(`${uri}?x=1`, await record({ uri, etag: '"v1"', body }))).toBeNull();
    expect(await check(uri, await record({ uri, etag: '"v1"', body }), sha("other"))).toBeNull();
    expect(server.received.length).toBe(at);
  });

  it("confirms a file with the recorded size and hash; another file of the same size or another size is null", async () => {
    const path = join(dir, "rates.csv");
    const fileUri = pathToFileURL(path).href;
    writeFileSync(path, body);
    const baseManifest = await record({ uri: fileUri, etag: null, body });
    expect(await check(fileUri, baseManifest)).toMatchObject({ sha256: sha(body), bytes: body.length, etag: null });
    writeFileSync(path, body.replace("1\n", "2\n"));
    expect(await check(fileUri, baseManifest)).toBeNull();
    writeFileSync(path, `${body}B,2025-01-01,2\n`);
    expect(await check(fileUri, baseManifest)).toBeNull();
  });

  it("confirms a file from its recorded stat alone (no read: the recorded hash is taken as is), and hashes it again once it was touched", async () => {
    const path = join(dir, "stat.csv");
    const fileUri = pathToFileURL(path).href;
    writeFileSync(path, body);
    const recordedLater = Number(statSync(path).ctimeMs) + RACY_MS + 1000;
    const validator = fileValidator(statSync(path, { bigint: true }), recordedLater);
    const other = body.replace("1\n", "9\n");
    const baseManifest = await record({ uri: fileUri, etag: validator, body: other });
    expect(await check(fileUri, baseManifest, sha(other))).toMatchObject({ sha256: sha(other), bytes: other.length, etag: validator });
    writeFileSync(path, other);
    expect(await check(fileUri, baseManifest, sha(other))).toMatchObject({ sha256: sha(other), etag: null });
    writeFileSync(path, body.replace("1\n", "8\n"));
    expect(await check(fileUri, baseManifest, sha(other))).toBeNull();
  });

  it("answers null (leaving the error to prepare) for a source outside the allow-list or a missing file", async () => {
    const baseManifest = await record({ uri: "file:///etc/hostname", etag: null, body });
    expect(await check("file:///etc/hostname", baseManifest)).toBeNull();
    expect(await check(pathToFileURL(join(dir, "missing.csv")).href, baseManifest)).toBeNull();
  });
});

import { PutObjectCommand } from "@aws-sdk/client-s3";
import { mkdtempSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareActivities } from "../../activities/prepare";
import { parseDefinition } from "../../src/definition";
import { Engine } from "../../src/engine/connection";
import { UnsupportedSourceError } from "../../src/sources/errors";
import { FsObjectStore } from "../../src/store/fs";
import { seriesDefinitionYaml } from "../support/definitions";
import { startHttpServer } from "../support/http";
import { makeS3Client, services } from "../support/services";
import { testSourcePolicy } from "../support/source-allow";

const dir = mkdtempSync(join(tmpdir(), "tm-prepare-encoded-"));
const body = `series_id,obs_date,value\n${Array.from({ length: 2000 }, (_, i) => `S${i},2024-01-01,${i}\n`).join("")}`;
let engine: Engine;
const client = makeS3Client();
beforeAll(async () => {
  engine = await Engine.open({ memoryLimit: "1GB", threads: 2, tempDirectory: join(dir, "tmp") });
});
afterAll(async () => {
  client.destroy();
  await engine?.close();
});

async function prepareFrom(uri: string) {
  const definition = parseDefinition(seriesDefinitionYaml({ id: "enc", uri, mode: "snapshot" }), "enc.yaml");
  const store = new FsObjectStore(join(dir, `store-${randomUUID()}`));
  const version = "0000000000001aaaaaaaaaaaa";
  const deps = { store, datasetsDir: dir, engine: async () => engine, sources: { policy: testSourcePolicy(), s3Client: () => client } };
  return prepareActivities(deps).prepare({ dataset: "enc", version, scratch: version, uri, definition, base: null });
}

describe("a source sent with a Content-Encoding is decoded before it is hashed and read", () => {
  for (const [encoding, encode] of [["gzip", gzipSync], ["br", brotliCompressSync]] as const) {
    it(`an https answer with Content-Encoding: ${encoding}`, async () => {
      const server = await startHttpServer((_req, res) => {
        const encoded = encode(body);
        res.writeHead(200, { "content-encoding": encoding, "content-length": String(encoded.length), etag: '"e1"' }).end(encoded);
      });
      try {
        const prepared = await prepareFrom(`${server.url}/series.csv`);
        expect(prepared).toMatchObject({ status: "planned", source: { bytes: body.length }, delta: { counts: { inserted: 2000 } } });
      } finally {
        await server.close();
      }
    });
  }

  it("an s3 object stored with ContentEncoding gzip", async () => {
    const { bucket } = services().s3;
    const key = `sources/encoded-${randomUUID()}.csv`;
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipSync(body), ContentEncoding: "gzip", ContentType: "text/csv" }));
    const prepared = await prepareFrom(`s3://${bucket}/${key}`);
    expect(prepared).toMatchObject({ status: "planned", source: { bytes: body.length }, delta: { counts: { inserted: 2000 } } });
  });

  it("a gzip body cut short fails the fetch instead of reading its first part as the whole source", async () => {
    const server = await startHttpServer((_req, res) => {
      const encoded = gzipSync(body);
      const cut = encoded.subarray(0, encoded.length >> 1);
      res.writeHead(200, { "content-encoding": "gzip", "content-length": String(cut.length) }).end(cut);
    });
    try {
      await expect(prepareFrom(`${server.url}/series.csv`)).rejects.toThrow(/unexpected end of file/);
    } finally {
      await server.close();
    }
  });

  it("an encoding it cannot decode is refused in one sentence", async () => {
    const server = await startHttpServer((_req, res) => {
      res.writeHead(200, { "content-encoding": "compress" }).end("x");
    });
    try {
      await expect(prepareFrom(`${server.url}/series.csv`)).rejects.toThrow(UnsupportedSourceError);
      await expect(prepareFrom(`${server.url}/series.csv`)).rejects.toThrow(/Content-Encoding "compress"/);
    } finally {
      await server.close();
    }
  });
});

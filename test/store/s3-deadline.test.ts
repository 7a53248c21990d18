import { S3Client } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import { createServer, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { WriteOutcomeUnknownError } from "../../src/errors";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FsObjectStore } from "../../src/store/fs";
import { S3ObjectStore } from "../../src/store/s3";
import { clientThrough } from "../support/s3-handler";
import { makeS3Client, services } from "../support/services";

const { s3 } = services();
const plain = makeS3Client();
afterAll(() => plain.destroy());

describe("a write with a deadline (`by`): nothing of it is sent or awaited past it", () => {
  const prefix = `store-deadline/${randomBytes(4).toString("hex")}`;

  it(`on MinIO, a CAS whose first attempt failed unanswered is not resent once its deadline passed [s3 ${s3.endpoint}]`, async () => {
    const store = new S3ObjectStore({ client: plain, bucket: s3.bucket, prefix });
    const { etag } = await store.put("pointer", "v1", { kind: "create" });
    const puts: number[] = [];
    const by = Date.now() + 300;
    const lossy = new S3ObjectStore({
      client: clientThrough(async (request, options, real) => {
        if (request.method !== "PUT") return real(request, options);
        puts.push(Date.now());
        await new Promise((r) => setTimeout(r, by + 100 - Date.now()));
        throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      }),
      bucket: s3.bucket,
      prefix,
    });
    const err = await lossy.put("pointer", "v2", { kind: "update", etag, by }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteOutcomeUnknownError);
    expect((err as Error).message).toContain("its deadline");
    expect(puts).toHaveLength(1);
    expect(Buffer.from((await store.get("pointer")).body).toString()).toBe("v1");
  });

  it("a request held by a server that never answers is aborted at the deadline instead of waiting for the socket timeout", async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as { port: number };
    try {
      const client = new S3Client({ endpoint: `http://127.0.0.1:${port}`, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } });
      const store = new S3ObjectStore({ client, bucket: s3.bucket, prefix });
      const started = Date.now();
      const err = await store.put("pointer", "v3", { kind: "update", etag: "0123", by: started + 400 }).catch((e: unknown) => e);
      const elapsed = Date.now() - started;
      expect(err).toBeInstanceOf(WriteOutcomeUnknownError);
      expect((err as Error).message).toContain("still unanswered at its deadline");
      expect(sockets.length).toBe(1);
      expect(elapsed).toBeGreaterThanOrEqual(390);
      expect(elapsed).toBeLessThan(10_000);
      client.destroy();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it("on file://, a create or an update reaching its link or swap past the deadline is not done", async () => {
    const store = new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-deadline-")));
    const { etag } = await store.put("pointer", "v1", { kind: "create" });
    await expect(store.put("pointer", "v2", { kind: "update", etag, by: Date.now() - 1 })).rejects.toBeInstanceOf(WriteOutcomeUnknownError);
    await expect(store.put("other", "v1", { kind: "create", by: Date.now() - 1 })).rejects.toBeInstanceOf(WriteOutcomeUnknownError);
    expect(Buffer.from((await store.get("pointer")).body).toString()).toBe("v1");
    await expect(store.head("other")).rejects.toThrow(/does not exist/);
    expect((await store.put("pointer", "v2", { kind: "update", etag, by: Date.now() + 60_000 })).size).toBe(2);
  });
});

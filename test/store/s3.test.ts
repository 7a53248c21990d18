import { ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { AlreadyExistsError, PreconditionFailedError, StoreAccessDeniedError, StoreConfigError, StoreUnavailableError } from "../../src/errors";
import { S3ObjectStore } from "../../src/store/s3";
import { makeS3Client, services } from "../support/services";
import { describeStoreConformance } from "./conformance";
import { deleteAll, runPrefix } from "./conformance-helpers";

const { s3 } = services();
const client = makeS3Client();
let requests = 0;
client.middlewareStack.add(
  (next) => async (args) => {
    requests++;
    return next(args);
  },
  { step: "initialize", name: "countRequests" },
);
afterAll(() => client.destroy());

describeStoreConformance(
  `s3 ${s3.endpoint} bucket ${s3.bucket}`,
  () => new S3ObjectStore({ client, bucket: s3.bucket, prefix: "store-conformance" }),
  { ioCount: () => requests },
);

const MiB = 1024 * 1024;

/** Yields `parts` chunks of 5 MiB and runs `between` after the first, while the multipart upload is in progress. */
async function* interrupted(parts: number, between: () => Promise<unknown>): AsyncGenerator<Buffer> {
  for (let i = 0; i < parts; i++) {
    yield Buffer.alloc(5 * MiB, i + 1);
    if (i === 0) await between();
  }
}

describe(`S3ObjectStore specifics [s3 ${s3.endpoint} bucket ${s3.bucket}]`, () => {
  const prefix = `store-s3-specifics/${runPrefix()}`;
  const store = new S3ObjectStore({ client, bucket: s3.bucket, prefix, multipartThreshold: 5 * MiB, partSize: 5 * MiB, maxConcurrentParts: 2 });
  afterAll(() => deleteAll(store, ""));

  const pendingUploads = async (key: string) =>
    (await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket, Prefix: `${prefix}/${key}` }))).Uploads ?? [];

  it("enforces create on CompleteMultipartUpload when the key appears mid-upload, and aborts the upload", { timeout: 60_000 }, async () => {
    const key = "mpu-create";
    const attempt = store.putStream(key, interrupted(3, () => store.put(key, "first", { kind: "create" })), { kind: "create" });
    await expect(attempt).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(Buffer.from((await store.get(key)).body).toString()).toBe("first");
    expect(await pendingUploads(key)).toEqual([]);
  });

  it("enforces update on CompleteMultipartUpload when the key changes mid-upload", { timeout: 60_000 }, async () => {
    const key = "mpu-update";
    const { etag } = await store.put(key, "v1");
    const attempt = store.putStream(key, interrupted(3, () => store.put(key, "v2")), { kind: "update", etag });
    await expect(attempt).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(Buffer.from((await store.get(key)).body).toString()).toBe("v2");
    const current = await store.head(key);
    const ok = await store.putStream(key, interrupted(3, async () => undefined), { kind: "update", etag: current.etag });
    expect(ok.etag).toMatch(/^[0-9a-f]+-3$/);
    expect(await store.head(key)).toMatchObject({ size: 15 * MiB, etag: ok.etag });
    expect(await pendingUploads(key)).toEqual([]);
  });

  it("reports a missing bucket as StoreConfigError naming the bucket", async () => {
    const missing = new S3ObjectStore({ client, bucket: "tidemark-no-such-bucket", prefix: "" });
    const err = await missing.put("k", "x").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreConfigError);
    expect((err as Error).message).toMatch(/tidemark-no-such-bucket.*does not exist/);
  });

  it("reports bad credentials as StoreAccessDeniedError without leaking the secret", async () => {
    const secretAccessKey = "definitely-wrong-secret-value";
    const bad = new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey } });
    const err = await new S3ObjectStore({ client: bad, bucket: s3.bucket, prefix }).head("k").catch((e: unknown) => e);
    bad.destroy();
    expect(err).toBeInstanceOf(StoreAccessDeniedError);
    expect((err as Error).message).not.toContain(secretAccessKey);
    expect((err as Error).message).toMatch(/credentials/);
  });

  it("reports an unreachable endpoint as retryable StoreUnavailableError", async () => {
    const down = new S3Client({ endpoint: "http://127.0.0.1:1", region: "us-east-1", forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    const err = await new S3ObjectStore({ client: down, bucket: s3.bucket, prefix: "" }).get("k").catch((e: unknown) => e);
    down.destroy();
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).retryable).toBe(true);
  });
});

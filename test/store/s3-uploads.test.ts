import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, UploadPartCommand } from "@aws-sdk/client-s3";
import { afterAll, describe, expect, it } from "vitest";
import { S3ObjectStore } from "../../src/store/s3";
import { makeS3Client, services } from "../support/services";
import { runPrefix } from "./conformance-helpers";

const { s3 } = services();
const client = makeS3Client();
afterAll(() => client.destroy());

describe(`S3ObjectStore.sweepAbandonedWrites [s3 ${s3.endpoint} bucket ${s3.bucket}]`, () => {
  const prefix = `store-s3-uploads/${runPrefix()}`;
  const store = new S3ObjectStore({ client, bucket: s3.bucket, prefix });

  async function startUpload(key: string, bytes: number): Promise<string> {
    const Key = `${prefix}/${key}`;
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: s3.bucket, Key }));
    await client.send(new UploadPartCommand({ Bucket: s3.bucket, Key, UploadId, PartNumber: 1, Body: Buffer.alloc(bytes, 7) }));
    return UploadId!;
  }

  async function openUploads(): Promise<string[]> {
    const out = await client.send(new ListMultipartUploadsCommand({ Bucket: s3.bucket }));
    return (out.Uploads ?? []).filter((u) => u.Key!.startsWith(`${prefix}/`)).map((u) => u.Key!.slice(prefix.length + 1)).sort();
  }

  it("finds uploads that were never completed, only under the prefix and only older than the cutoff, and aborts them", async () => {
    await startUpload("datasets/a/events/v1/data/part-00000.parquet", 1234);
    await startUpload("datasets/b/events/v1/data/part-00000.parquet", 10);
    const future = new Date(Date.now() + 60_000);

    expect(await store.sweepAbandonedWrites("datasets/a/", new Date(Date.now() - 3_600_000), false)).toEqual([]);
    expect(await store.sweepAbandonedWrites("datasets/a/", future, true)).toEqual([{ key: "datasets/a/events/v1/data/part-00000.parquet", size: 1234 }]);
    expect(await openUploads()).toEqual(["datasets/a/events/v1/data/part-00000.parquet", "datasets/b/events/v1/data/part-00000.parquet"]);

    expect(await store.sweepAbandonedWrites("datasets/a/", future, false)).toHaveLength(1);
    expect(await openUploads()).toEqual(["datasets/b/events/v1/data/part-00000.parquet"]);
    expect(await store.sweepAbandonedWrites("datasets/", future, false)).toEqual([{ key: "datasets/b/events/v1/data/part-00000.parquet", size: 10 }]);
    expect(await openUploads()).toEqual([]);
  });
});

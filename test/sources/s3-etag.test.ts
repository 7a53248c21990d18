import { PutObjectCommand } from "@aws-sdk/client-s3";
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { openSource, openSourceIfChanged } from "../../src/sources/open";
import { makeS3Client, services } from "../support/services";
import { testSourcePolicy } from "../support/source-allow";

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe("openSourceIfChanged on MinIO", () => {
  const client = makeS3Client();
  afterAll(() => client.destroy());
  const deps = { policy: testSourcePolicy(), s3Client: () => client };

  it("answers null for an object that still has the ETag, and the new bytes once it was rewritten at the same size", async () => {
    const { bucket } = services().s3;
    const key = `sources/etag-${randomUUID()}.csv`;
    const uri = `s3://${bucket}/${key}`;
    const first = "series_id,value\nA,1\n";
    const second = "series_id,value\nA,2\n";
    expect(second.length).toBe(first.length);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: first }));
    const opened = await openSource(uri, deps);
    expect(await text(opened.stream)).toBe(first);
    expect(opened.etag).toMatch(/^[0-9a-f]{32}$/);

    expect(await openSourceIfChanged(uri, opened.etag!, deps)).toBeNull();

    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: second }));
    const changed = await openSourceIfChanged(uri, opened.etag!, deps);
    expect(changed).not.toBeNull();
    expect(await text(changed!.stream)).toBe(second);
    expect(changed!.etag).not.toBe(opened.etag);
  });
});

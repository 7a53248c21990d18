import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { Connection } from "@temporalio/client";
import { describe, expect, it } from "vitest";
import { TIDEMARK_SEARCH_ATTRIBUTES } from "../../src/devstack/temporal-server";
import { makeS3Client, services } from "../support/services";

describe("real test services", () => {
  it("runs a Temporal dev server with Tidemark's search attributes registered", async () => {
    const { temporal } = services();
    const connection = await Connection.connect({ address: temporal.address });
    try {
      const res = await connection.operatorService.listSearchAttributes({ namespace: temporal.namespace });
      for (const [name] of Object.entries(TIDEMARK_SEARCH_ATTRIBUTES)) {
        expect(Object.keys(res.customAttributes ?? {})).toContain(name);
      }
    } finally {
      await connection.close();
    }
  });

  it("runs MinIO on loopback with the test bucket", async () => {
    const { s3 } = services();
    expect(new URL(s3.endpoint).hostname).toBe("127.0.0.1");
    const client = makeS3Client();
    try {
      const res = await client.send(new HeadBucketCommand({ Bucket: s3.bucket }));
      expect(res.$metadata.httpStatusCode).toBe(200);
    } finally {
      client.destroy();
    }
  });
});

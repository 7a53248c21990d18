import { S3Client } from "@aws-sdk/client-s3";
import { inject } from "vitest";
import type { TestServices } from "./services-types";

export type { TestServices } from "./services-types";

/** The real services started by the global setup; throws if the run has none. */
export function services(): TestServices {
  const value = inject("services");
  if (!value) throw new Error("Test services are missing: run the suite through vitest with test/support/global-setup.ts.");
  return value;
}

/** An S3 client for the test MinIO. */
export function makeS3Client(): S3Client {
  const { s3 } = services();
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

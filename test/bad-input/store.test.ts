import { HeadBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3ObjectStore } from "../../src/store/s3";
import { makeS3Client, services } from "../support/services";
import { Bench, GOOD_CSV } from "./harness";
import { runCase, type BadInputCase } from "./run-case";

const WRONG_SECRET = "wrongStoreSecretThatMustNeverBeShown01234";
const MISSING_BUCKET = "bi-missing-store-bucket";
const bench = new Bench();

function wrongCredentialsClient(): S3Client {
  const { s3 } = services();
  return new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: "bi-wrong-store-key", secretAccessKey: WRONG_SECRET } });
}

function s3Store(client: S3Client, bucket: string, prefix: string): S3ObjectStore {
  return new S3ObjectStore({ client, bucket, prefix });
}

function defineGood(id: string) {
  return (b: Bench) => {
    b.define(id, b.source(`${id}.csv`, GOOD_CSV));
    return id;
  };
}

const CASES: BadInputCase[] = [
  {
    name: "the store's bucket does not exist",
    dataset: "bi_store_nobucket",
    worker: "missing-bucket",
    setup: defineGood("bi_store_nobucket"),
    witness: () => s3Store(makeS3Client(), services().s3.bucket, "bi-store-missing"),
    expectedError:
      'Ingest of bi_store_nobucket failed: Bucket "bi-missing-store-bucket" does not exist (read of "datasets/bi_store_nobucket/current/manifest.json" in s3://bi-missing-store-bucket/bi-store-missing/); create it first (e.g. "aws s3 mb s3://bi-missing-store-bucket" or "mc mb <alias>/bi-missing-store-bucket") or point TIDEMARK_STORE at an existing bucket.',
    exit: 1,
    type: "StoreConfigError",
    after: async () => {
      const head = await makeS3Client().send(new HeadBucketCommand({ Bucket: MISSING_BUCKET })).catch((e: { name?: string }) => e.name);
      expect(head).toBe("NotFound");
    },
  },
  {
    name: "the store refuses the worker's S3 credentials",
    dataset: "bi_store_creds",
    worker: "wrong-store-credentials",
    setup: defineGood("bi_store_creds"),
    witness: () => s3Store(makeS3Client(), services().s3.bucket, "bi-store-creds"),
    expectedError: () =>
      `Ingest of bi_store_creds failed: Access denied for read of "datasets/bi_store_creds/current/manifest.json" in s3://${services().s3.bucket}/bi-store-creds/ (InvalidAccessKeyId); check the AWS credentials (AWS_ACCESS_KEY_ID/AWS_PROFILE) and the bucket policy.`,
    exit: 1,
    type: "StoreAccessDeniedError",
  },
];

beforeAll(async () => {
  await bench.start({ s3Client: makeS3Client });
  const { s3 } = services();
  await bench.addWorker("missing-bucket", s3Store(makeS3Client(), MISSING_BUCKET, "bi-store-missing"), { s3Client: makeS3Client }, `s3://${MISSING_BUCKET}/bi-store-missing`);
  await bench.addWorker("wrong-store-credentials", s3Store(wrongCredentialsClient(), s3.bucket, "bi-store-creds"), { s3Client: makeS3Client }, `s3://${s3.bucket}/bi-store-creds`);
});

afterAll(async () => {
  await bench.stop();
});

describe("a store that cannot be used fails the ingest with one clear sentence, fast", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      await runCase(bench, c);
      const history = JSON.stringify(await bench.client.workflow.getHandle(`tidemark/ingest/${c.dataset}`).fetchHistory());
      expect(history).not.toContain(WRONG_SECRET);
    });
  }
});

import type { BadInputCase } from "./run-case";
import type { Bench } from "./harness";

/** Where the source cases' servers listen, filled in by the test before the cases run. */
export interface SourceEndpoints {
  /** Base URL of a server that answers 404 to everything except `/slow.csv`, which never answers. */
  http: string;
  /** A loopback URL on which nothing listens. */
  refused: string;
  /** The MinIO bucket the source worker may read. */
  bucket: string;
}

/** Attempts the source worker allows an unreachable source. */
export const SOURCE_ATTEMPTS = 2;
/** Milliseconds the source worker allows an HTTP source to answer. */
export const SOURCE_TIMEOUT_MS = 500;

function defineAt(id: string, uri: () => string) {
  return (bench: Bench) => {
    bench.define(id, uri());
    return id;
  };
}

/** Cases where the source cannot be fetched. */
export function sourceCases(at: SourceEndpoints): BadInputCase[] {
  return [
    {
      name: "an HTTP source that answers 404",
      dataset: "bi_http404",
      setup: defineAt("bi_http404", () => {
        process.env.BI_READER_PASS = "hunter2pass";
        return `${at.http.replace("http://", "http://reader:${BI_READER_PASS}@")}/gone.csv`;
      }),
      expectedError: () => `Ingest of bi_http404 failed: Source ${at.http}/gone.csv answered HTTP 404 (not found); check the URL in source.uri, or pass the right one with --source.`,
      exit: 1,
      type: "SourceNotFoundError",
    },
    {
      name: "an HTTP source that never answers",
      dataset: "bi_timeout",
      setup: defineAt("bi_timeout", () => `${at.http}/slow.csv`),
      expectedError: () => `Ingest of bi_timeout failed: Source ${at.http}/slow.csv did not answer within 0.5 s on all 2 attempts; check that the server is up and reachable from the worker, or raise TIDEMARK_SOURCE_TIMEOUT_MS.`,
      exit: 1,
      type: "SourceUnreachableError",
      attempts: SOURCE_ATTEMPTS,
    },
    {
      name: "an HTTP source that refuses the connection",
      dataset: "bi_refused",
      setup: defineAt("bi_refused", () => `${at.refused}/rates.csv`),
      expectedError: () => `Ingest of bi_refused failed: Source ${at.refused}/rates.csv refused the connection on all 2 attempts; check the host and port in source.uri and that the server is running.`,
      exit: 1,
      type: "SourceUnreachableError",
      attempts: SOURCE_ATTEMPTS,
    },
    {
      name: "an s3:// source in a bucket that does not exist",
      dataset: "bi_s3_nobucket",
      setup: defineAt("bi_s3_nobucket", () => "s3://bi-no-such-bucket/series.csv"),
      expectedError: 'Ingest of bi_s3_nobucket failed: Source s3://bi-no-such-bucket/series.csv cannot be read because bucket "bi-no-such-bucket" does not exist; check the bucket in source.uri.',
      exit: 1,
      type: "SourceNotFoundError",
    },
    {
      name: "an s3:// source read with wrong credentials",
      dataset: "bi_s3_creds",
      worker: "wrong-s3-credentials",
      setup: defineAt("bi_s3_creds", () => `s3://${at.bucket}/bad-input/series.csv`),
      expectedError: () => `Ingest of bi_s3_creds failed: Source s3://${at.bucket}/bad-input/series.csv is not readable with this worker's S3 credentials (InvalidAccessKeyId); check the worker's AWS credentials and that they may s3:GetObject it.`,
      exit: 1,
      type: "SourceAccessDeniedError",
    },
  ];
}

import { afterAll, beforeAll, describe, it } from "vitest";
import { makeS3Client } from "../support/services";
import { DATA_CASES } from "./data-cases";
import { Bench } from "./harness";
import { runCase } from "./run-case";

const bench = new Bench();

beforeAll(async () => {
  await bench.start({ s3Client: makeS3Client });
});

afterAll(async () => {
  await bench.stop();
});

describe("bad source data fails the ingest with one clear sentence and leaves the dataset as it was", () => {
  for (const c of DATA_CASES) it(c.name, () => runCase(bench, c));
});

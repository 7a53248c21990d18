import { afterAll, beforeAll, describe, it } from "vitest";
import { makeS3Client } from "../support/services";
import { DEFINITION_CASES } from "./definition-cases";
import { Bench } from "./harness";
import { runCase } from "./run-case";

const bench = new Bench();

beforeAll(async () => {
  await bench.start({ s3Client: makeS3Client });
});

afterAll(async () => {
  await bench.stop();
});

describe("a bad definition or dataset id is refused with one clear sentence and writes nothing", () => {
  for (const c of DEFINITION_CASES) it(c.name, () => runCase(bench, c));
});

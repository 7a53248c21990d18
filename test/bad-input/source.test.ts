import { DeleteObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpServer } from "../support/http";
import { makeS3Client, services } from "../support/services";
import { Bench, GOOD_CSV } from "./harness";
import { runCase } from "./run-case";
import { SOURCE_ATTEMPTS, SOURCE_TIMEOUT_MS, type SourceEndpoints, sourceCases } from "./source-cases";

const WRONG_SECRET = "wrongSecretKeyThatMustNeverBeShown0123456";
const bench = new Bench();
const at: SourceEndpoints = { http: "", refused: "", bucket: "" };
let http: Awaited<ReturnType<typeof startHttpServer>>;

function wrongCredentialsClient(): S3Client {
  const { s3 } = services();
  return new S3Client({ endpoint: s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: "bi-wrong-key", secretAccessKey: WRONG_SECRET } });
}

async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  http = await startHttpServer((req, res) => {
    if (req.url === "/slow.csv") return;
    res.writeHead(404).end("not here");
  });
  const { s3 } = services();
  Object.assign(at, { http: http.url, refused: `http://127.0.0.1:${await unusedPort()}`, bucket: s3.bucket });
  await makeS3Client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: "bad-input/series.csv", Body: GOOD_CSV }));
  await bench.start({ s3Client: makeS3Client, httpTimeoutMs: SOURCE_TIMEOUT_MS, attempts: SOURCE_ATTEMPTS });
  await bench.addWorker("wrong-s3-credentials", bench.store, { s3Client: wrongCredentialsClient, attempts: SOURCE_ATTEMPTS }, bench.env("fs").TIDEMARK_STORE);
});

afterAll(async () => {
  await bench.stop();
  await http?.close();
  await makeS3Client().send(new DeleteObjectCommand({ Bucket: services().s3.bucket, Key: "bad-input/series.csv" }));
});

describe("a source that cannot be fetched fails the ingest with one clear sentence and leaves nothing behind", () => {
  for (const c of sourceCases(at)) {
    it(c.name, async () => {
      await runCase(bench, c);
      const history = JSON.stringify(await bench.client.workflow.getHandle(`tidemark/ingest/${c.dataset}`).fetchHistory());
      expect(history).not.toContain(WRONG_SECRET);
    });
  }
});

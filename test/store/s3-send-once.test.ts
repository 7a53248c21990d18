import { DeleteObjectCommand, HeadObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { WriteOutcomeUnknownError } from "../../src/errors";
import { S3ObjectStore } from "../../src/store/s3";
import type { ObjectStore } from "../../src/store/types";
import { CLICKS_YAML, click, ndjson, ndjsonHeaders, startBed, TOKENS } from "../intake/bed";
import { clientThrough } from "../support/s3-handler";
import { makeS3Client, services } from "../support/services";

const { s3 } = services();
const plain = makeS3Client();
afterAll(() => plain.destroy());

async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const o of store.list(prefix)) out.push(o.key);
  return out;
}

/** What the lossy handler did: every PUT it passed to MinIO, and how many answers it dropped. */
interface LossLog {
  puts: string[];
  lost: number;
}

/**
 * An S3 client whose first PUT of a key ending in `suffix` reaches MinIO (which stores it) but whose
 * answer is lost (ECONNRESET); before the loss is reported the object is deleted, as a compaction
 * consuming an inbox fragment would. Every later request passes through.
 */
function lossyClient(suffix: string, log: LossLog): S3Client {
  return clientThrough(async (request, options, real) => {
    const out = await real(request, options);
    if (request.method !== "PUT" || !request.path.endsWith(suffix)) return out;
    log.puts.push(request.path);
    if (log.lost > 0) return out;
    log.lost++;
    (out.response.body as { destroy?: () => void } | undefined)?.destroy?.();
    await plain.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: request.path.replace(`/${s3.bucket}/`, "") }));
    throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
  });
}

async function exists(key: string): Promise<boolean> {
  return plain.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: key })).then(
    () => true,
    () => false,
  );
}

describe(`a create whose answer is lost after the object was stored and then deleted [s3 ${s3.endpoint} bucket ${s3.bucket}]`, () => {
  const prefix = `store-send-once/${randomBytes(4).toString("hex")}`;

  it("is resent by the SDK and recreates the deleted object when sent as a plain create (the hazard)", async () => {
    const log: LossLog = { puts: [], lost: 0 };
    const store = new S3ObjectStore({ client: lossyClient("/plain", log), bucket: s3.bucket, prefix });
    await store.put("plain", "fragment\n", { kind: "create" });
    expect(log).toEqual({ puts: [`/${s3.bucket}/${prefix}/plain`, `/${s3.bucket}/${prefix}/plain`], lost: 1 });
    expect(await exists(`${prefix}/plain`)).toBe(true);
  });

  it("fails with WriteOutcomeUnknownError and is not resent with sendOnce: the deleted object stays deleted", async () => {
    const log: LossLog = { puts: [], lost: 0 };
    const store = new S3ObjectStore({ client: lossyClient("/once", log), bucket: s3.bucket, prefix });
    const err = await store.put("once", "fragment\n", { kind: "create", sendOnce: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WriteOutcomeUnknownError);
    expect((err as Error).message).toContain("ECONNRESET");
    expect(log).toEqual({ puts: [`/${s3.bucket}/${prefix}/once`], lost: 1 });
    expect(await exists(`${prefix}/once`)).toBe(false);
  });

  it("is sent again with sendOnce when its first attempt never connected (ECONNREFUSED: nothing can have arrived)", async () => {
    const log: LossLog = { puts: [], lost: 0 };
    let refused = 0;
    const client = clientThrough(async (request, options, real) => {
      if (request.method === "PUT" && refused++ === 0) throw Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
      if (request.method === "PUT") log.puts.push(request.path);
      return real(request, options);
    });
    const store = new S3ObjectStore({ client, bucket: s3.bucket, prefix });
    await store.put("refused", "fragment\n", { kind: "create", sendOnce: true });
    expect(refused).toBe(2);
    expect(log.puts).toEqual([`/${s3.bucket}/${prefix}/refused`]);
    expect(await exists(`${prefix}/refused`)).toBe(true);
  });

  it("is sent again with sendOnce after a 503 SlowDown (a refusal for load: nothing was applied)", async () => {
    const seen: string[] = [];
    const client = clientThrough(async (request, options, real) => {
      if (request.method !== "PUT" || seen.push(request.path) > 1) return real(request, options);
      const xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
      return { response: { statusCode: 503, reason: "Slow Down", headers: { "content-type": "application/xml" }, body: Readable.from([Buffer.from(xml)]) } };
    });
    const store = new S3ObjectStore({ client, bucket: s3.bucket, prefix });
    await store.put("throttled", "fragment\n", { kind: "create", sendOnce: true });
    expect(seen).toEqual([`/${s3.bucket}/${prefix}/throttled`, `/${s3.bucket}/${prefix}/throttled`]);
    expect(await exists(`${prefix}/throttled`)).toBe(true);
  });

  it("makes serve answer 503 for a group whose fragment write lost its answer, and leaves no fragment behind", async () => {
    const log: LossLog = { puts: [], lost: 0 };
    const store = new S3ObjectStore({ client: lossyClient("", log), bucket: s3.bucket, prefix: `${prefix}/serve` });
    const bed = await startBed(store, {}, { definitionsYaml: CLICKS_YAML });
    try {
      const first = await bed.post("/v1/datasets/clicks/records", ndjson([click("a", 1)]), ndjsonHeaders(TOKENS.clicks));
      expect(first.status).toBe(503);
      expect(log.lost).toBe(1);
      expect(log.puts).toHaveLength(1);
      expect(log.puts[0]).toContain("/datasets/clicks/inbox/");
      expect(await keys(store, "datasets/clicks/inbox/")).toEqual([]);
      const again = await bed.post("/v1/datasets/clicks/records", ndjson([click("a", 1)]), ndjsonHeaders(TOKENS.clicks));
      expect(again.status).toBe(202);
      expect(await keys(store, "datasets/clicks/inbox/")).toHaveLength(1);
    } finally {
      await bed.close();
    }
  });
});

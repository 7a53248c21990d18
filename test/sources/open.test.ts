import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { openSource, redactUri } from "../../src/sources/open";
import { withBasicAuth } from "../../src/sources/open-http";
import { SourceNotFoundError, UnsupportedSourceError } from "../../src/sources/errors";
import { startHttpServer } from "../support/http";
import { testSourcePolicy } from "../support/source-allow";

const allowed = { policy: testSourcePolicy() };

describe("openSource", () => {
  it("sends URL credentials as a Basic Authorization header, never in the URL", async () => {
    const server = await startHttpServer((req, res) => {
      res.statusCode = req.headers.authorization === `Basic ${Buffer.from("ana:s3cr%t").toString("base64")}` ? 200 : 401;
      res.end("a,b\n1,2\n");
    });
    try {
      const url = server.url.replace("http://", "http://ana:s3cr%25t@");
      const opened = await openSource(`${url}/data.csv`, allowed);
      const chunks: Buffer[] = [];
      for await (const c of opened.stream) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe("a,b\n1,2\n");
      expect(server.received[0].url).toBe("/data.csv");
    } finally {
      await server.close();
    }
  });

  it("asks caches for the origin's current bytes on every request, also after a redirect to another origin", async () => {
    const origin = await startHttpServer((_req, res) => void res.end("a,b\n1,2\n"));
    const front = await startHttpServer((_req, res) => void res.writeHead(302, { location: `${origin.url}/data.csv` }).end());
    try {
      const opened = await openSource(`${front.url}/data.csv`, allowed);
      for await (const _c of opened.stream) void _c;
      expect([front.received[0].headers["cache-control"], origin.received[0].headers["cache-control"]]).toEqual(["no-cache", "no-cache"]);
    } finally {
      await front.close();
      await origin.close();
    }
  });

  it("says what a push dataset's source is instead of an unknown scheme", async () => {
    const err = await openSource("push:clicks", allowed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedSourceError);
    expect((err as Error).message).toBe(
      'Source push:clicks is the inbox of push dataset clicks, which only its own ingest compacts; run "tidemark ingest clicks" without --source, or send records to tidemark serve (POST /v1/datasets/clicks/records).',
    );
  });

  it("maps 404 to a permanent SourceNotFoundError and rejects unknown schemes", async () => {
    const server = await startHttpServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    try {
      await expect(openSource(`${server.url}/missing.csv`, allowed)).rejects.toBeInstanceOf(SourceNotFoundError);
    } finally {
      await server.close();
    }
    await expect(openSource("ftp://host/x.csv", allowed)).rejects.toBeInstanceOf(UnsupportedSourceError);
    await expect(openSource(pathToFileURL(join(tmpdir(), "tidemark-definitely-not-here.csv")).href, allowed)).rejects.toBeInstanceOf(SourceNotFoundError);
  });

  it("redacts credentials from URIs and leaves plain ones alone", () => {
    expect(redactUri("https://u:p@example.test/x.csv")).toBe("https://example.test/x.csv");
    expect(redactUri("s3://bucket/key.csv")).toBe("s3://bucket/key.csv");
    expect(withBasicAuth("https://example.test/a").headers).toEqual({});
  });
});

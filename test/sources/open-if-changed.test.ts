import { describe, expect, it } from "vitest";
import { openSourceIfChanged } from "../../src/sources/open";
import { startHttpServer } from "../support/http";
import { testSourcePolicy } from "../support/source-allow";

const allowed = { policy: testSourcePolicy() };

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe("openSourceIfChanged over HTTP", () => {
  it("sends If-None-Match and answers null on a 304 carrying the same ETag", async () => {
    const server = await startHttpServer((_req, res) => {
      res.writeHead(304, { etag: '"e1"' });
      res.end();
    });
    try {
      expect(await openSourceIfChanged(`${server.url}/a.csv`, '"e1"', allowed)).toBeNull();
      expect(server.received.map((r) => r.headers["if-none-match"])).toEqual(['"e1"']);
    } finally {
      await server.close();
    }
  });

  it("fetches again without the condition when a 304 names another ETag", async () => {
    const server = await startHttpServer((req, res) => {
      if (req.headers["if-none-match"] !== undefined) res.writeHead(304, { etag: '"other"' }).end();
      else res.writeHead(200, { etag: '"other"' }).end("a\n1\n");
    });
    try {
      const opened = await openSourceIfChanged(`${server.url}/a.csv`, '"e1"', allowed);
      expect(await text(opened!.stream)).toBe("a\n1\n");
      expect(server.received.map((r) => r.headers["if-none-match"])).toEqual(['"e1"', undefined]);
    } finally {
      await server.close();
    }
  });

  it("drops the condition on a redirect and downloads the target", async () => {
    const server = await startHttpServer((req, res) => {
      if (req.url === "/old.csv") res.writeHead(302, { location: "/new.csv" }).end();
      else if (req.headers["if-none-match"] !== undefined) res.writeHead(304, { etag: '"e1"' }).end();
      else res.writeHead(200, { etag: '"e1"' }).end("a\n2\n");
    });
    try {
      const opened = await openSourceIfChanged(`${server.url}/old.csv`, '"e1"', allowed);
      expect(await text(opened!.stream)).toBe("a\n2\n");
      expect(server.received.map((r) => [r.url, r.headers["if-none-match"]])).toEqual([["/old.csv", '"e1"'], ["/new.csv", undefined]]);
    } finally {
      await server.close();
    }
  });
});

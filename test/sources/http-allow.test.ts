import { describe, expect, it } from "vitest";
import type { HostResolver } from "../../src/sources/address";
import { SourceNotAllowedError } from "../../src/sources/errors";
import { openSource } from "../../src/sources/open";
import { startHttpServer } from "../support/http";

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe("HTTP sources and the allow-list", () => {
  it("connects to the address the check resolved, not to a second DNS answer", async () => {
    const server = await startHttpServer((req, res) => void res.end(`host=${req.headers.host}`));
    try {
      const port = new URL(server.url).port;
      const asked: string[] = [];
      const resolve: HostResolver = async (host) => (asked.push(host), [{ address: "127.0.0.1", family: 4 }]);
      const opened = await openSource(`http://data.invalid:${port}/a.csv`, { policy: { allow: [`http://data.invalid:${port}/`], fileRoots: [], storeBucket: null }, resolve });
      expect(await text(opened.stream)).toBe(`host=data.invalid:${port}`);
      expect(asked).toEqual(["data.invalid"]);
    } finally {
      await server.close();
    }
  });

  it("refuses a loopback server under the defaults before sending anything", async () => {
    const server = await startHttpServer((_req, res) => void res.end("secret"));
    try {
      const err = await openSource(`${server.url}/a.csv`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceNotAllowedError);
      expect((err as Error).message).toContain("127.0.0.1, a loopback address");
      expect(server.received).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("checks every redirect: a hop to a private address is refused before it is requested", async () => {
    const asked: string[] = [];
    const resolve: HostResolver = async (host) => (asked.push(host), [{ address: "10.0.0.7", family: 4 }]);
    const server = await startHttpServer((_req, res) => void res.writeHead(302, { location: "http://internal.invalid/admin?token=abc123" }).end());
    try {
      const policy = { allow: [server.url], fileRoots: [], storeBucket: null };
      const err = await openSource(`${server.url}/a.csv`, { policy, resolve }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceNotAllowedError);
      expect((err as Error).message).toBe(
        `Source ${server.url}/a.csv redirected to http://internal.invalid/admin?token=redacted is not allowed: no prefix in TIDEMARK_SOURCE_ALLOW covers it; list it in TIDEMARK_SOURCE_ALLOW (comma-separated URI prefixes) on the worker to allow it.`,
      );
      expect(server.received.map((r) => r.url)).toEqual(["/a.csv"]);
      expect(asked).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("follows at most 5 redirects", async () => {
    const server = await startHttpServer((req, res) => {
      const n = Number(req.url.slice(1));
      res.writeHead(307, { location: `/${n + 1}` }).end();
    });
    try {
      const policy = { allow: [server.url], fileRoots: [], storeBucket: null };
      const err = await openSource(`${server.url}/0`, { policy }).catch((e: unknown) => e);
      expect((err as Error).message).toBe(`Source ${server.url}/0 redirected more than 5 times; point source.uri at the final URL.`);
      expect(server.received.map((r) => r.url)).toEqual(["/0", "/1", "/2", "/3", "/4", "/5"]);
      server.received.length = 0;
      const ok = await startHttpServer((req, res) => (req.url === "/5" ? void res.end("done") : void res.writeHead(301, { location: `/${Number(req.url.slice(1)) + 1}` }).end()));
      try {
        const opened = await openSource(`${ok.url}/0`, { policy: { allow: [ok.url], fileRoots: [], storeBucket: null } });
        expect(await text(opened.stream)).toBe("done");
      } finally {
        await ok.close();
      }
    } finally {
      await server.close();
    }
  });
});

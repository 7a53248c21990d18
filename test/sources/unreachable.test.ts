import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { SourceConfigError, sourceLimitsFromEnv } from "../../src/sources/limits";
import { openSource } from "../../src/sources/open";
import { SourceAccessDeniedError, SourceUnavailableError, SourceUnreachableError } from "../../src/sources/errors";
import { startHttpServer } from "../support/http";
import { testSourcePolicy } from "../support/source-allow";

const allowed = { policy: testSourcePolicy() };

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("an unreachable source", () => {
  it("is retryable while attempts remain and final on the last one", async () => {
    const url = `http://127.0.0.1:${await closedPort()}/x.csv`;
    const early = await openSource(url, { ...allowed, attempts: 3, attempt: 2 }).catch((e: unknown) => e);
    expect(early).toBeInstanceOf(SourceUnavailableError);
    expect((early as Error).message).toBe(`Source ${url} refused the connection (attempt 2 of 3); it will be retried.`);
    const last = await openSource(url, { ...allowed, attempts: 3, attempt: 3 }).catch((e: unknown) => e);
    expect(last).toBeInstanceOf(SourceUnreachableError);
    expect((last as Error).message).toBe(`Source ${url} refused the connection on all 3 attempts; check the host and port in source.uri and that the server is running.`);
  });

  it("times out waiting for headers, but not while a slow body streams", async () => {
    const server = await startHttpServer((req, res) => {
      if (req.url === "/silent.csv") return;
      res.writeHead(200);
      res.write("a,b\n");
      setTimeout(() => res.end("1,2\n"), 400);
    });
    try {
      const silent = await openSource(`${server.url}/silent.csv`, { ...allowed, httpTimeoutMs: 200, attempts: 1 }).catch((e: unknown) => e);
      expect((silent as Error).message).toBe(`Source ${server.url}/silent.csv did not answer within 0.2 s; check that the server is up and reachable from the worker, or raise TIDEMARK_SOURCE_TIMEOUT_MS.`);
      const slow = await openSource(`${server.url}/slow.csv`, { ...allowed, httpTimeoutMs: 200 });
      const chunks: Buffer[] = [];
      for await (const c of slow.stream) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).toString()).toBe("a,b\n1,2\n");
    } finally {
      await server.close();
    }
  });

  it("fails a body that pauses longer than the idle limit, retryably, naming the limit", async () => {
    const stalled: { destroy(): void }[] = [];
    const server = await startHttpServer((_req, res) => {
      res.writeHead(200);
      res.write("a,b\n1,2\n");
      stalled.push(res);
    });
    try {
      const opened = await openSource(`${server.url}/stalls.csv`, { ...allowed, httpIdleMs: 300, attempts: 3 });
      const chunks: Buffer[] = [];
      const err = await (async () => {
        for await (const c of opened.stream) chunks.push(c as Buffer);
      })().catch((e: unknown) => e);
      expect(Buffer.concat(chunks).toString()).toBe("a,b\n1,2\n");
      expect(err).toBeInstanceOf(SourceUnavailableError);
      expect((err as Error).message).toBe(`Source ${server.url}/stalls.csv sent nothing for 0.3 s in the middle of its body (attempt 1 of 3); it will be retried.`);
    } finally {
      for (const s of stalled) s.destroy();
      await server.close();
    }
  });

  it("answering 403 is a permanent access error that never shows the URL's credentials", async () => {
    const server = await startHttpServer((_req, res) => void res.writeHead(403).end());
    try {
      const url = server.url.replace("http://", "http://ana:topsecret1@");
      const err = await openSource(`${url}/x.csv`, allowed).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SourceAccessDeniedError);
      expect((err as Error).message).toBe(`Source ${server.url}/x.csv answered HTTP 403 (access denied); check the credentials in source.uri or the server's permissions.`);
    } finally {
      await server.close();
    }
  });
});

describe("sourceLimitsFromEnv", () => {
  it("reads the timeout and attempts, and rejects values that are not whole numbers", () => {
    expect(sourceLimitsFromEnv({ TIDEMARK_SOURCE_TIMEOUT_MS: "1500", TIDEMARK_SOURCE_IDLE_MS: "60000", TIDEMARK_SOURCE_ATTEMPTS: "3" })).toEqual({ httpTimeoutMs: 1500, httpIdleMs: 60000, attempts: 3 });
    expect(sourceLimitsFromEnv({})).toEqual({});
    expect(() => sourceLimitsFromEnv({ TIDEMARK_SOURCE_ATTEMPTS: "0" })).toThrow(SourceConfigError);
    expect(() => sourceLimitsFromEnv({ TIDEMARK_SOURCE_TIMEOUT_MS: "5s" })).toThrow('TIDEMARK_SOURCE_TIMEOUT_MS must be a whole number of at least 1 (got "5s"); fix or unset it.');
  });
});

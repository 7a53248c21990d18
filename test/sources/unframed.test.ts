import { createServer, type Server, type Socket } from "node:net";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { UnsupportedSourceError } from "../../src/sources/errors";
import { sourceLimitsFromEnv } from "../../src/sources/limits";
import { openSource } from "../../src/sources/open";
import { testSourcePolicy } from "../support/source-allow";

/**
 * HTTP sources whose body ends only where the connection ends (no Content-Length, not chunked):
 * a cut would read as a complete, shorter file. A raw socket server sends exactly the bytes below,
 * so the test knows the body it cut.
 */
const FULL = "id,v\n1,a\n2,b\n3,c\n";
const CUT = "id,v\n1,a\n";

let server: Server | undefined;
afterEach(async () => {
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A server answering every request with `head` then `body`, then closing the connection cleanly; records what it sent. */
async function rawServer(head: string, body: Buffer | string): Promise<{ url: string; sent: number[] }> {
  const sent: number[] = [];
  server = createServer((socket: Socket) => {
    socket.once("data", () => {
      const bytes = Buffer.from(body);
      socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\n${head}Connection: close\r\n\r\n`), bytes]));
      sent.push(bytes.length);
    });
  });
  await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/data.csv`, sent };
}

async function text(uri: string, deps: object): Promise<string> {
  const opened = await openSource(uri, { policy: testSourcePolicy(), ...deps });
  const chunks: Buffer[] = [];
  for await (const c of opened.stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe("HTTP source bodies framed only by the end of the connection", () => {
  it("are refused by default with what to do, since a cut body looks complete", async () => {
    const { url, sent } = await rawServer("Content-Type: text/csv\r\n", CUT);
    const err = await text(url, {}).catch((e: unknown) => e);
    expect(sent).toEqual([CUT.length]);
    expect(err).toBeInstanceOf(UnsupportedSourceError);
    expect((err as Error).message).toBe(
      `Source ${url} sent its body without Content-Length or chunked encoding, so a connection cut short would look like the whole file and publish its missing rows as deleted; ` +
        "have the server send Content-Length (or gzip the body), or set TIDEMARK_SOURCE_UNFRAMED=accept on the worker to read such bodies anyway.",
    );
  });

  it("are read as sent when the worker accepts them (TIDEMARK_SOURCE_UNFRAMED=accept)", async () => {
    const { url } = await rawServer("", FULL);
    expect(await text(url, sourceLimitsFromEnv({ TIDEMARK_SOURCE_UNFRAMED: "accept" }))).toBe(FULL);
  });

  it("are read when gzipped, and a gzipped body cut short fails instead of reading as a shorter file", async () => {
    const whole = gzipSync(FULL);
    const first = await rawServer("Content-Encoding: gzip\r\n", whole);
    expect(await text(first.url, {})).toBe(FULL);
    await new Promise((r) => server!.close(r));
    const cut = await rawServer("Content-Encoding: gzip\r\n", whole.subarray(0, whole.length - 6));
    const err = await text(cut.url, {}).catch((e: unknown) => e);
    expect(cut.sent).toEqual([whole.length - 6]);
    expect((err as Error).message).toMatch(/unexpected end of file/);
  });

  it("a bad TIDEMARK_SOURCE_UNFRAMED is refused with the values it takes", () => {
    expect(() => sourceLimitsFromEnv({ TIDEMARK_SOURCE_UNFRAMED: "yes" })).toThrow('TIDEMARK_SOURCE_UNFRAMED must be "accept" or "refuse" (got "yes"); fix or unset it.');
  });
});

/**
 * The floor of the intake benchmark: a minimal node:http server that does only what durability at
 * acknowledgement costs. It reads each POST body, counts its NDJSON lines, and group-commits: the
 * bodies received while a write is in flight are appended to one local file together and fsynced,
 * then all of them are answered `202 {"accepted": n, "fragment": "g<group>"}`. No parsing,
 * validation, tokens or limits.
 *
 * Run as its own process: node dist/bench/intake/floor.js <file>  (prints "floor on http://127.0.0.1:<port>").
 */
import { open, type FileHandle } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

interface Waiting {
  res: ServerResponse;
  records: number;
}

function lineCount(body: Buffer): number {
  let n = 0;
  for (let p = body.indexOf(10); p >= 0; p = body.indexOf(10, p + 1)) n++;
  return n;
}

/** Starts the floor server on 127.0.0.1 (any free port), appending to `file`. */
export async function startFloor(file: string): Promise<{ url: string; close(): Promise<void> }> {
  const fh: FileHandle = await open(file, "a");
  let parts: Buffer[] = [];
  let waiting: Waiting[] = [];
  let writing = false;
  let group = 0;

  const flush = async (): Promise<void> => {
    if (writing || waiting.length === 0) return;
    writing = true;
    const body = Buffer.concat(parts);
    const answered = waiting;
    parts = [];
    waiting = [];
    const id = `g${++group}`;
    try {
      await fh.write(body);
      await fh.sync();
      for (const w of answered) w.res.writeHead(202, { "content-type": "application/json" }).end(`{"accepted":${w.records},"fragment":"${id}"}`);
    } catch (err) {
      for (const w of answered) w.res.writeHead(503).end(JSON.stringify({ error: (err as Error).message }));
    } finally {
      writing = false;
    }
    void flush();
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      parts.push(body);
      waiting.push({ res, records: lineCount(body) });
      void flush();
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fh.close();
    },
  };
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("floor: give the file to append to as the first argument.\n");
    process.exitCode = 1;
  } else {
    void startFloor(file).then((f) => {
      process.stdout.write(`floor on ${f.url}\n`);
      process.once("SIGTERM", () => void f.close().then(() => process.exit(0)));
    });
  }
}

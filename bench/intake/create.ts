/**
 * CPU per create-only fragment write of the `file://` store, the two ways FsObjectStore makes one:
 * `put` (one job of a writer thread doing the syscalls synchronously, fs-create.ts) and `putStream`
 * (the promise path: one libuv round trip per syscall), both fsyncing the file before its link and
 * the directory after it. Rounds alternate the two ways (2 writes in flight, as serve's default
 * `--max-writes`); process CPU (user + system, every thread) per write, medians over the rounds.
 *
 * node dist/bench/intake/create.js [--rounds 6] [--writes 300] [--sizes 2400,60000]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { FsObjectStore } from "../../src/store/fs.js";

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

type Way = "put" | "putStream";

async function* once(body: Buffer): AsyncGenerator<Uint8Array> {
  yield body;
}

async function round(store: FsObjectStore, way: Way, body: Buffer, writes: number, tag: string): Promise<number> {
  let next = 0;
  const before = process.cpuUsage();
  const one = async () => {
    while (next < writes) {
      const key = `inbox/${tag}-${next++}`;
      if (way === "put") await store.put(key, body, { kind: "create" });
      else await store.putStream(key, once(body), { kind: "create" });
    }
  };
  await Promise.all([one(), one()]);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / writes;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const rounds = Number(flag("rounds", "6"));
  const writes = Number(flag("writes", "300"));
  const dir = mkdtempSync(join(tmpdir(), "tidemark-bench-create-"));
  try {
    const store = new FsObjectStore(dir);
    for (const size of flag("sizes", "2400,60000").split(",").map(Number)) {
      const body = Buffer.alloc(size, 0x61);
      const cpu: Record<Way, number[]> = { put: [], putStream: [] };
      await round(store, "put", body, 20, `warm-${size}`);
      await round(store, "putStream", body, 20, `warm-s-${size}`);
      for (let r = 0; r < rounds; r++) {
        for (const way of ["put", "putStream"] as const) cpu[way].push(await round(store, way, body, writes, `${size}-${way}-${r}`));
      }
      process.stdout.write(
        `${size} B: put (writer thread) ${Math.round(median(cpu.put))} µs CPU/write [${cpu.put.map(Math.round).join(", ")}]; ` +
          `putStream (promise path) ${Math.round(median(cpu.putStream))} µs [${cpu.putStream.map(Math.round).join(", ")}]; load ${loadavg()[0].toFixed(2)}\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();

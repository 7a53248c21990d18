import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ENGINE_THREADPOOL_SIZE, sizeThreadPool } from "../../src/cli/threadpool";

const ROOT = join(__dirname, "..", "..");

describe("the libuv thread pool of engine processes (pure)", () => {
  it("is sized for the commands that run activities, unless the environment sizes it", () => {
    for (const command of ["worker", "dev", "demo"]) {
      const env: NodeJS.ProcessEnv = {};
      expect(sizeThreadPool(command, env)).toBe(String(ENGINE_THREADPOOL_SIZE));
      expect(env.UV_THREADPOOL_SIZE).toBe(String(ENGINE_THREADPOOL_SIZE));
    }
    expect(sizeThreadPool("worker", { UV_THREADPOOL_SIZE: "6" })).toBe("6");
    for (const command of ["ingest", "serve", undefined]) {
      const env: NodeJS.ProcessEnv = {};
      expect(sizeThreadPool(command, env)).toBeUndefined();
      expect(env).toEqual({});
    }
  });
});

/**
 * A child process that sizes its pool as `command` would, starts six engine statements of about a
 * second each on six connections, then stats a file: prints which finished first.
 */
const child = `
const { sizeThreadPool } = require(${JSON.stringify(join(ROOT, "dist", "src", "cli", "threadpool.js"))});
const size = sizeThreadPool(process.argv[1]);
const { DuckDBInstance } = require(${JSON.stringify(join(ROOT, "node_modules", "@duckdb", "node-api"))});
(async () => {
  const db = await DuckDBInstance.create(":memory:", { threads: "1" });
  const connections = await Promise.all(Array.from({ length: 6 }, () => db.connect()));
  const order = [];
  const statements = connections.map((c) => c.run("SELECT count(*) FROM range(150000000) t(i) WHERE i % 7 = 3").then(() => order.push("statement")));
  await new Promise((r) => setTimeout(r, 50));
  await require("node:fs/promises").stat(__filename === "[eval]" ? "." : __filename);
  order.push("stat");
  await Promise.all(statements);
  process.stdout.write(JSON.stringify({ size: size ?? null, order }));
})();
`;

async function run(command: string): Promise<{ size: string | null; order: string[] }> {
  const env = { ...process.env };
  delete env.UV_THREADPOOL_SIZE;
  const { stdout } = await promisify(execFile)(process.execPath, ["-e", child, command], { env, cwd: ROOT });
  return JSON.parse(stdout) as { size: string | null; order: string[] };
}

describe("file I/O while engine statements run [real processes, DuckDB]", () => {
  it("waits for a statement to end in a pool of libuv's default size, and does not in a worker's", async () => {
    const small = await run("ingest");
    expect(small.size).toBeNull();
    expect(small.order.indexOf("stat")).toBeGreaterThan(0);
    const worker = await run("worker");
    expect(worker.size).toBe(String(ENGINE_THREADPOOL_SIZE));
    expect(worker.order[0]).toBe("stat");
  }, 60_000);
});

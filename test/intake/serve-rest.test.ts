import { execFile, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { listenFailure, ServeListenError } from "../../src/intake/server";
import { CLICKS_YAML, tempDir, TOKEN_SPEC } from "./bed";

const ROOT = join(__dirname, "..", "..");
const dirs: Array<() => void> = [];
afterAll(() => dirs.forEach((c) => c()));

describe("tidemark serve at rest (compiled CLI, file:// store)", () => {
  it.each([
    { args: ["--no-compact"], temporal: false },
    { args: [], temporal: true },
  ])("with $args loads neither the AWS SDK, parquet-wasm nor DuckDB, and the Temporal client only when it compacts (before listening)", { timeout: 60_000 }, async ({ args, temporal }) => {
    const t = tempDir("serve-rest");
    dirs.push(t.cleanup);
    const datasets = join(t.dir, "datasets");
    mkdirSync(datasets);
    writeFileSync(join(datasets, "clicks.yaml"), CLICKS_YAML);
    const loaded = join(t.dir, "loaded.txt");
    const proc = spawn(process.execPath, ["--require", join(ROOT, "test", "support", "loaded-modules.cjs"), join(ROOT, "bin", "tidemark.js"), "serve", "--host", "127.0.0.1", "--port", "0", ...args], {
      env: {
        ...process.env, TIDEMARK_STORE: pathToFileURL(join(t.dir, "store")).href, TIDEMARK_DATASETS: datasets, TIDEMARK_INGEST_TOKENS: TOKEN_SPEC,
        TEMPORAL_ADDRESS: "127.0.0.1:1", TIDEMARK_TEST_LOADED_MODULES: loaded,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
    let out = "";
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("serving on")) resolve();
      });
      proc.once("exit", (code) => reject(new Error(`serve exited (${code}) before listening: ${out}`)));
    });
    proc.kill("SIGTERM");
    expect(await exited).toBe(0);
    const files = readFileSync(loaded, "utf8").split("\n").filter(Boolean);
    expect(files.some((f) => f.endsWith(join("dist", "src", "intake", "server.js")))).toBe(true);
    const packages = new Set(files.flatMap((f) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1] ?? []));
    expect(packages.has("fastify")).toBe(true);
    for (const heavy of ["@aws-sdk/client-s3", "parquet-wasm", "@duckdb/node-api"]) expect(packages.has(heavy), heavy).toBe(false);
    expect(packages.has("@temporalio/client")).toBe(temporal);
  });

  it("exits 1 with one sentence naming the port and what to do when the port is taken", async () => {
    const t = tempDir("serve-busy");
    dirs.push(t.cleanup);
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, "127.0.0.1", resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [join(ROOT, "bin", "tidemark.js"), "serve", "--host", "127.0.0.1", "--port", String(port), "--no-compact"], {
          env: { ...process.env, TIDEMARK_STORE: pathToFileURL(join(t.dir, "store")).href, TIDEMARK_DATASETS: t.dir, TEMPORAL_ADDRESS: "127.0.0.1:1" },
          timeout: 30_000,
        }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr }));
      });
      expect(run).toMatchObject({ code: 1, stdout: "" });
      expect(run.stderr).toBe(`tidemark: Port ${port} on 127.0.0.1 is in use; stop what holds it or pass another --port.\n`);
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  });

  it("turns the other listen failures it knows into one sentence, and passes the rest through", () => {
    const failure = (code: string, host: string, port: number) => listenFailure(Object.assign(new Error(code), { code }), host, port);
    for (const code of ["EADDRNOTAVAIL", "ENOTFOUND"]) {
      expect(failure(code, "256.1.1.1", 8080)).toEqual(new ServeListenError(code, "--host 256.1.1.1 is not an address of this machine; pass one it has, e.g. 127.0.0.1."));
    }
    expect(failure("EACCES", "127.0.0.1", 80)).toEqual(new ServeListenError("EACCES", "Port 80 on 127.0.0.1 needs privileges this process lacks; pass a --port above 1023."));
    const other = Object.assign(new Error("boom"), { code: "EMFILE" });
    expect(listenFailure(other, "127.0.0.1", 8080)).toBe(other);
  });
});

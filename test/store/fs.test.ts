import { execFile, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { AlreadyExistsError, InvalidKeyError, PreconditionFailedError, StoreUnavailableError } from "../../src/errors";
import { FsObjectStore } from "../../src/store/fs";
import { processStart } from "../../src/process-identity";
import { collect } from "./conformance-helpers";
import { describeStoreConformance } from "./conformance";

const scratch = mkdtempSync(join(tmpdir(), "tidemark-fs-store-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describeStoreConformance(`fs ${scratch}`, () => new FsObjectStore(join(scratch, "conformance")));

/** Transpiles the fs store modules (no type check) so plain `node` children can require them. */
function transpileFsStore(outDir: string): string {
  const repo = resolve(__dirname, "../..");
  for (const file of ["src/errors.ts", "src/process-identity.ts", "src/store/keys.ts", "src/store/fs-io.ts", "src/store/fs-lock.ts", "src/store/fs-create.ts", "src/store/fs-errors.ts", "src/store/fs-list.ts", "src/store/fs-temp.ts", "src/store/fs.ts"]) {
    const source = readFileSync(join(repo, file), "utf8");
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
      fileName: file,
    });
    const out = join(outDir, file.replace(/\.ts$/, ".js"));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  return join(outDir, "src/store/fs.js");
}

describe("FsObjectStore specifics", () => {
  it("creates a missing root directory on first write", async () => {
    const root = join(scratch, "not", "yet", "there");
    const store = new FsObjectStore(root);
    await expect(collect(store.list(""))).resolves.toEqual([]);
    await store.put("a/b.txt", "x");
    expect(readFileSync(join(root, "a", "b.txt"), "utf8")).toBe("x");
  });

  it("never touches paths outside the root for invalid keys", async () => {
    const root = join(scratch, "jail", "root");
    const store = new FsObjectStore(root);
    await expect(store.put("../escaped", "x")).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.put(".tmp-looks-internal", "x")).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.put("k.tidemark-lock", "x")).rejects.toBeInstanceOf(InvalidKeyError);
    expect(existsSync(join(scratch, "jail"))).toBe(false);
  });

  it("leaves only the created files in their directory, each with the etag its put returned, after concurrent creates", async () => {
    const root = join(scratch, "creates");
    const store = new FsObjectStore(root);
    const keys = Array.from({ length: 40 }, (_, i) => `inbox/f-${String(i).padStart(2, "0")}`);
    const puts = await Promise.all(keys.map((k) => store.put(k, `body of ${k}\n`, { kind: "create" })));
    expect(readdirSync(join(root, "inbox")).sort()).toEqual(keys.map((k) => k.slice("inbox/".length)));
    const listed = await collect(store.list("inbox/"));
    expect(listed.map((o) => o.etag)).toEqual(puts.map((p) => p.etag));
    expect(listed.map((o) => o.size)).toEqual(keys.map((k) => `body of ${k}\n`.length));
  });

  it("creates from a view into a larger buffer and from a SharedArrayBuffer exactly the viewed bytes, leaving no temporary file, also when the name is taken", async () => {
    const root = join(scratch, "views");
    const store = new FsObjectStore(root);
    const big = Buffer.from("0123456789abcdefghij");
    const shared = Buffer.from(new SharedArrayBuffer(12));
    shared.write("shared-bytes");
    await store.put("v/pooled", Buffer.from("small pooled buffer"), { kind: "create" });
    await store.put("v/view", big.subarray(5, 12), { kind: "create" });
    await store.put("v/shared", shared.subarray(0, 6), { kind: "create" });
    expect(readFileSync(join(root, "v", "pooled"), "utf8")).toBe("small pooled buffer");
    expect(readFileSync(join(root, "v", "view"), "utf8")).toBe("56789ab");
    expect(readFileSync(join(root, "v", "shared"), "utf8")).toBe("shared");
    expect(big.toString()).toBe("0123456789abcdefghij");
    await expect(store.put("v/view", Buffer.from("other"), { kind: "create" })).rejects.toBeInstanceOf(AlreadyExistsError);
    expect(readFileSync(join(root, "v", "view"), "utf8")).toBe("56789ab");
    expect(readdirSync(join(root, "v")).sort()).toEqual(["pooled", "shared", "view"]);
  });

  it("stores a local file with putFile in every write mode, creating missing directories, with the etag a head gives and no temporary file left", async () => {
    const root = join(scratch, "put-file");
    const store = new FsObjectStore(root);
    const local = join(scratch, "put-file-source.bin");
    const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251));
    writeFileSync(local, bytes);
    const created = await store.putFile("a/b/c.bin", local, { kind: "create" });
    expect(readFileSync(join(root, "a", "b", "c.bin")).equals(bytes)).toBe(true);
    expect(created).toEqual({ etag: (await store.head("a/b/c.bin")).etag, size: bytes.length });
    await expect(store.putFile("a/b/c.bin", local, { kind: "create" })).rejects.toBeInstanceOf(AlreadyExistsError);
    writeFileSync(local, "second");
    await expect(store.putFile("a/b/c.bin", local, { kind: "update", etag: "not-its-etag" })).rejects.toBeInstanceOf(PreconditionFailedError);
    const updated = await store.putFile("a/b/c.bin", local, { kind: "update", etag: created.etag });
    expect(readFileSync(join(root, "a", "b", "c.bin"), "utf8")).toBe("second");
    expect(updated.etag).not.toBe(created.etag);
    await store.putFile("a/b/c.bin", local);
    expect((await store.head("a/b/c.bin")).size).toBe(6);
    await expect(store.putFile("a/b/d.bin", join(scratch, "no-such-local-file"), { kind: "create" })).rejects.toThrow(/no-such-local-file to store as "a\/b\/d\.bin" is missing/);
    expect(readdirSync(join(root, "a", "b"))).toEqual(["c.bin"]);
  });

  it("hides temporary and lock files from listings", async () => {
    const root = join(scratch, "hidden");
    const store = new FsObjectStore(root);
    await store.put("d/k", "x");
    writeFileSync(join(root, "d", ".tmp-leftover"), "junk");
    writeFileSync(join(root, "d", "k.tidemark-lock"), "{}");
    writeFileSync(join(root, "d", "k.tidemark-lock.break"), "{}");
    expect((await collect(store.list(""))).map((o) => o.key)).toEqual(["d/k"]);
  });

  it("reports a key that collides with another key's directory as InvalidKeyError", async () => {
    const store = new FsObjectStore(join(scratch, "collide"));
    await store.put("a/b", "x");
    await expect(store.put("a", "y", { kind: "create" })).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(store.put("a/b/c", "y")).rejects.toBeInstanceOf(InvalidKeyError);
  });

  it("breaks a lock left by a dead process and waits out a live one", async () => {
    const root = join(scratch, "locks");
    const store = new FsObjectStore(root, { lockTimeoutMs: 300 });
    const { etag } = await store.put("k", "v1", { kind: "create" });
    const dead = spawnSync(process.execPath, ["-e", "0"]).pid;
    const lock = join(root, "k.tidemark-lock");
    writeFileSync(lock, JSON.stringify({ pid: dead, host: hostname(), token: "dead-owner" }));
    const v2 = await store.put("k", "v2", { kind: "update", etag });
    expect(existsSync(lock)).toBe(false);
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: hostname(), token: "live-owner", started: processStart(process.ppid) }));
    await expect(store.put("k", "v3", { kind: "update", etag: v2.etag })).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(readFileSync(lock, "utf8")).toContain("live-owner");
    rmSync(lock);
    await store.put("k", "v3", { kind: "update", etag: v2.etag });
  });

  it("breaks a lock whose pid now belongs to another process: our own pid from an earlier process (PID 1 of a restarted container), or a live pid that started later", async () => {
    const root = join(scratch, "reused-pids");
    const store = new FsObjectStore(root, { lockTimeoutMs: 300 });
    let { etag } = await store.put("k", "v1", { kind: "create" });
    const lock = join(root, "k.tidemark-lock");
    expect(processStart(process.ppid)).toMatch(/^[0-9a-f-]+:\d+$/);
    for (const owner of [
      { pid: process.pid, host: hostname(), token: "earlier-process-same-pid", nonce: "not-ours" },
      { pid: process.pid, host: hostname(), token: "earlier-release-without-nonce" },
      { pid: process.ppid, host: hostname(), token: "pid-reused", started: "another-boot:1" },
    ]) {
      writeFileSync(lock, JSON.stringify(owner));
      ({ etag } = await store.put("k", `after ${owner.token}`, { kind: "update", etag }));
      expect(existsSync(lock), owner.token).toBe(false);
    }
    expect(Buffer.from((await store.get("k")).body).toString()).toBe("after pid-reused");
  });

  it("deletes a createOnly key without its lock file: no lock is made, and a live holder's lock does not hold it up", async () => {
    const root = join(scratch, "create-only-delete");
    const store = new FsObjectStore(root, { lockTimeoutMs: 300 });
    await store.put("inbox/f1", "x", { kind: "create" });
    await store.put("inbox/f2", "y", { kind: "create" });
    const lock = join(root, "inbox", "f2.tidemark-lock");
    writeFileSync(lock, JSON.stringify({ pid: process.ppid, host: hostname(), token: "live-owner" }));
    await expect(store.delete("inbox/f2")).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(existsSync(join(root, "inbox", "f2"))).toBe(true);
    await store.delete("inbox/f2", { createOnly: true });
    await store.delete("inbox/f1", { createOnly: true });
    expect(readdirSync(join(root, "inbox"))).toEqual(["f2.tidemark-lock"]);
    expect(readFileSync(lock, "utf8")).toContain("live-owner");
  });

  it("counts to exactly 100 with 4 processes x 25 compare-and-swap increments", { timeout: 120_000 }, async () => {
    const root = join(scratch, "multi-process");
    const modulePath = transpileFsStore(join(scratch, "transpiled"));
    const store = new FsObjectStore(root);
    await store.put("counter", "0", { kind: "create" });
    const child = resolve(__dirname, "fixtures/cas-child.js");
    const run = promisify(execFile);
    const outputs = await Promise.all(Array.from({ length: 4 }, () => run(process.execPath, [child, modulePath, root, "counter", "25"])));
    const reports = outputs.map((o) => JSON.parse(o.stdout) as { pid: number; attempts: number });
    expect(new Set(reports.map((r) => r.pid)).size).toBe(4);
    expect(Buffer.from((await store.get("counter")).body).toString()).toBe("100");
    console.log(`[fs] 4-process CAS race: 100 increments took ${reports.reduce((n, r) => n + r.attempts, 0)} attempts`);
  });
});

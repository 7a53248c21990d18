import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { FsObjectStore } from "../../src/store/fs";
import { services } from "../support/services";
import { CLICKS_YAML, TOKENS, TOKEN_SPEC, click, fragments, metric, ndjson, ndjsonHeaders, normalizedClick, request, tempDir, until } from "./bed";

const BIN = join(__dirname, "..", "..", "bin", "tidemark.js");
const dirs: Array<() => void> = [];
afterAll(() => dirs.forEach((c) => c()));

describe("tidemark serve (compiled CLI process)", () => {
  it("on SIGTERM stops accepting, writes and acknowledges the requests it holds, and exits 0", async () => {
    const t = tempDir("shutdown");
    dirs.push(t.cleanup);
    const datasets = join(t.dir, "datasets");
    mkdirSync(datasets);
    writeFileSync(join(datasets, "clicks.yaml"), CLICKS_YAML);
    const storeDir = join(t.dir, "store");
    const env = {
      ...process.env, TIDEMARK_STORE: pathToFileURL(storeDir).href, TIDEMARK_DATASETS: datasets, TIDEMARK_INGEST_TOKENS: TOKEN_SPEC,
      TEMPORAL_ADDRESS: services().temporal.address, TEMPORAL_NAMESPACE: services().temporal.namespace,
    };
    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--group-delay-ms", "600000", "--no-compact"], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      await until("the server to listen", async () => /serving on http:\/\/127\.0\.0\.1:\d+/.test(stdout) || child.exitCode !== null, 30_000);
      const url = /serving on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      expect(url, stderr).toBeDefined();
      const sent = [["s1", "s2"], ["s3"], ["s4", "s5", "s6"]];
      const pending = sent.map((ids) => request(url!, "POST", "/v1/datasets/clicks/records", ndjson(ids.map((id) => click(id))), ndjsonHeaders(TOKENS.clicks)));
      await until("the three requests to wait in their group", async () => (await metric(url!, "tidemark_intake_pending_records", 'dataset="clicks"')) === 6);
      expect(await fragments(new FsObjectStore(storeDir), "clicks")).toEqual(new Map());
      child.kill("SIGTERM");
      const acks = await Promise.all(pending);
      expect(await exited).toBe(0);
      expect(stdout).toContain("SIGTERM: finishing requests in flight");
      for (const [i, a] of acks.entries()) expect(a).toMatchObject({ status: 202, body: { accepted: sent[i].length } });
      const fragment = acks[0].body.fragment as string;
      expect(acks.map((a) => a.body.fragment)).toEqual([fragment, fragment, fragment]);
      const stored = await fragments(new FsObjectStore(storeDir), "clicks");
      expect([...stored.keys()]).toEqual([fragment]);
      expect(stored.get(fragment)!.sort((a, b) => String(a.id).localeCompare(String(b.id)))).toEqual(sent.flat().map((id) => normalizedClick(id)));
      await expect(fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});

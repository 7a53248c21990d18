import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { CLICKS_YAML, tempDir, TOKEN_SPEC } from "./bed";

const ROOT = join(__dirname, "..", "..");
const dirs: Array<() => void> = [];
afterAll(() => dirs.forEach((c) => c()));

/** Runs the compiled `tidemark serve` on a datasets directory holding `yaml`; resolves with how it ended, or "listening" (then it is stopped). */
async function serveWith(yaml: string): Promise<{ outcome: "listening" | "exited"; code: number | null; output: string }> {
  const t = tempDir("case-columns");
  dirs.push(t.cleanup);
  const datasets = join(t.dir, "datasets");
  mkdirSync(datasets);
  writeFileSync(join(datasets, "clicks.yaml"), yaml);
  const proc = spawn(process.execPath, [join(ROOT, "bin", "tidemark.js"), "serve", "--host", "127.0.0.1", "--port", "0", "--no-compact"], {
    env: { ...process.env, TIDEMARK_STORE: pathToFileURL(join(t.dir, "store")).href, TIDEMARK_DATASETS: datasets, TIDEMARK_INGEST_TOKENS: TOKEN_SPEC },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  let listened = false;
  const take = (c: Buffer) => {
    output += c.toString();
    if (!listened && output.includes("serving on")) {
      listened = true;
      proc.kill("SIGTERM");
    }
  };
  proc.stdout.on("data", take);
  proc.stderr.on("data", take);
  const code = await exited;
  return { outcome: listened ? "listening" : "exited", code, output };
}

describe("a push dataset whose column names collide for the engine only in letter case (compiled tidemark serve)", () => {
  it.each([
    { what: "two columns", yaml: CLICKS_YAML.replace("    - { name: note, type: string }", "    - { name: note, type: string }\n    - { name: NOTE, type: string }"), message: /schema\.columns\[6\]\.name "NOTE" differs from schema\.columns\[5\]\.name "note" only in letter case/ },
    { what: "an engine column in capitals", yaml: CLICKS_YAML.replace("    - { name: note, type: string }", "    - { name: _MONTH, type: string }"), message: /schema\.columns\[5\]\.name "_MONTH" is a name Tidemark's engine uses for its own columns/ },
  ])("$what: serve refuses the definition instead of acknowledging records no compaction can publish", { timeout: 60_000 }, async ({ yaml, message }) => {
    const run = await serveWith(yaml);
    expect(run.outcome, run.output).toBe("exited");
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(message);
  });
});

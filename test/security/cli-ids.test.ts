import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { looksLikeDefinitionPath } from "../../src/cli/commands/ingest";
import { runCli } from "../cli/helpers";

const idError = (id: string) =>
  `tidemark: Dataset id ${JSON.stringify(id)} is invalid: use 1–128 characters from a-z, 0-9, "_", "." and "-", starting with a letter or digit (e.g. "cb_series").`;

describe("tidemark ingest <arg>", () => {
  it("treats an argument as a file only when it looks like a path", () => {
    expect(["defs/x.yaml", "x.yaml", "x.YML", "x.json", "./x", "../etc/passwd", "/etc/passwd"].map(looksLikeDefinitionPath)).toEqual(Array(7).fill(true));
    expect(["cb_series", "..", "Passwd", "x.csv", "a b"].map(looksLikeDefinitionPath)).toEqual(Array(5).fill(false));
  });

  it("validates a dataset id before any I/O: a same-named file is not read and Temporal is not contacted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tm-cli-ids-"));
    writeFileSync(join(dir, "Series"), "id: series\n");
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const env = { TEMPORAL_ADDRESS: "127.0.0.1:1", TIDEMARK_DATASETS: join(dir, "missing"), TIDEMARK_STORE: `file://${join(dir, "store")}` };
      for (const id of ["Series", "..", ".hidden", "a b"]) {
        const run = await runCli(["ingest", id], env);
        expect([id, run.code, run.stderr.trim()]).toEqual([id, 1, idError(id)]);
      }
    } finally {
      process.chdir(cwd);
    }
  });

  it("checks ids, --version and --month of the read commands before touching the store", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tm-cli-ids-"));
    const env = { TEMPORAL_ADDRESS: "127.0.0.1:1", TIDEMARK_STORE: `file://${join(dir, "store")}` };
    for (const cmd of ["read", "files", "versions", "status", "verify", "gc"]) {
      const run = await runCli([cmd, "../x"], env);
      expect([cmd, run.code, run.stderr.trim()]).toEqual([cmd, 1, idError("../x")]);
    }
    const version = await runCli(["read", "ok", "--version", "../../etc"], env);
    expect(version.code).toBe(2);
    expect(version.stderr).toMatch(/version/i);
    expect(version.stderr.trim().split("\n")).toHaveLength(1);
    const month = await runCli(["files", "ok", "--month", "../2025-01"], env);
    expect(month.code).toBe(2);
    expect(month.stderr).toMatch(/month/i);
  });
});

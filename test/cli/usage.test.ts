import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/devstack/ports";
import { services } from "../support/services";
import { runCli, tempStore } from "./helpers";

const store = tempStore("usage");
afterAll(() => store.cleanup());

describe("usage errors exit 2", () => {
  it.each([
    [["no-such-command"]],
    [["status"]],
    [["read", "x", "--format", "xml"]],
    [["read", "x", "--limit", "0"]],
    [["read", "x", "--month", "2025-13"]],
    [["files", "x", "--month", "January"]],
    [["dev", "--port", "99999"]],
    [["schedule", "create", "x", "--every", "soon"]],
    [["status", "x", "--bogus"]],
  ])("tidemark %j", async (args) => {
    const run = await runCli(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error|expected|unknown|missing|invalid|is not a/i);
  });

  it("schedule create needs exactly one of --every and --cron", async () => {
    const missing = await runCli(["schedule", "create", "x"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Give exactly one of --every");
    const both = await runCli(["schedule", "create", "x", "--every", "1h", "--cron", "0 6 * * *"]);
    expect(both.code).toBe(2);
  });

  it("ingest --source with an empty value (an unset $VAR) is refused, not read as the definition's source", async () => {
    for (const value of ["", "  "]) {
      const run = await runCli(["ingest", "x", "--source", value], { TEMPORAL_ADDRESS: "127.0.0.1:1" });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe("");
      expect(run.stderr).toBe('tidemark: --source is empty (an unset variable in --source "$VAR"?); give a source URI such as file:///data/series.csv, or drop --source to read the definition\'s source.uri.\n');
    }
  });

  it.each([[["schedule", "create"]], [["optimize"]]])("the --catchup-window default %j --help shows is a value the option accepts", async (path) => {
    const help = await runCli([...path, "--help"]);
    expect(help.code).toBe(0);
    const shown = /--catchup-window <duration>[^(]*\(default: ([^)]+)\)/.exec(help.stdout)?.[1];
    expect(shown).toBeDefined();
    const run = await runCli([...path, "x", "--every", "1h", "--catchup-window", shown!], { TEMPORAL_ADDRESS: "http://127.0.0.1:1" });
    expect(run.stderr).toContain("Temporal is not reachable");
    expect(run.code).toBe(1);
  });

  it("optimize --wait with --every or --cron (a Schedule, no run to wait for) is a usage error", async () => {
    for (const schedule of [["--every", "1d"], ["--cron", "0 3 * * *"]]) {
      const run = await runCli(["optimize", "x", "--wait", ...schedule], { TEMPORAL_ADDRESS: "http://127.0.0.1:1" });
      expect(run.code).toBe(2);
      expect(run.stderr).toBe("tidemark: --wait waits for an optimize started now, but --every/--cron create a Schedule instead; drop --wait or the schedule flag.\n");
    }
  });

  it("tools install of a tool it does not know is a usage error naming the tools it knows", async () => {
    const run = await runCli(["tools", "install", "nope"]);
    expect(run.code).toBe(2);
    expect(run.stderr.split("\n")[0]).toBe("error: command-argument value 'nope' is invalid for argument 'tool'. Allowed choices are temporal, minio, toxiproxy.");
  });

  it("dev with the same port for Temporal and its UI is a usage error before anything starts", async () => {
    const port = String(await freePort());
    const run = await runCli(["dev", "--port", port, "--ui-port", port, "--no-worker"], { TIDEMARK_STORE: store.url });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(`tidemark: --port and --ui-port are both ${port}; give the Web UI another port (e.g. --ui-port 8233).\n`);
  });

  it("read --version rejects something that is not a version id", async () => {
    const run = await runCli(["read", "x", "--version", "../../etc"], { TIDEMARK_STORE: store.url });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("is not a version id");
  });
});

describe("an invalid dataset id is refused before any I/O", () => {
  it.each([
    ["status"],
    ["versions"],
    ["files"],
    ["read"],
    ["cancel"],
    ["schedule", "create", "--every", "1h"],
    ["schedule", "pause"],
    ["schedule", "delete"],
  ])("tidemark %s ../x", async (...command: string[]) => {
    const deadPort = await freePort();
    const missingStore = join(store.dir, "never-created");
    const args = command[0] === "schedule" ? ["schedule", command[1], "../x", ...command.slice(2)] : [command[0], "../x"];
    const run = await runCli(args, { TIDEMARK_STORE: `file://${missingStore}`, TEMPORAL_ADDRESS: `127.0.0.1:${deadPort}` });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Dataset id "../x" is invalid');
    expect(run.stderr).not.toMatch(/Temporal is not reachable|no published version/);
    expect(existsSync(missingStore)).toBe(false);
  });
});

describe("a TEMPORAL_NAMESPACE the server does not have", () => {
  it("is refused in one sentence that says how to fix it, exit 1", async () => {
    const { temporal } = services();
    const env = { TIDEMARK_STORE: store.url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: "tm-no-such-namespace" };
    for (const args of [["status", "x"], ["verify", "x"], ["schedule", "list"]]) {
      const run = await runCli(args, env);
      expect(run.code, args.join(" ")).toBe(1);
      expect(run.stderr).toBe(
        'tidemark: Temporal has no namespace "tm-no-such-namespace"; set TEMPORAL_NAMESPACE to an existing one (list them with "temporal operator namespace list") or create it with "temporal operator namespace create --namespace tm-no-such-namespace".\n',
      );
    }
  });
});

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./helpers";

/**
 * `tidemark [command…] --help` for every command path, as printed by the CLI before commands were
 * registered lazily (`node bin/tidemark.js <path> --help`, key = the path joined by spaces); `serve`
 * re-recorded after its options changed on purpose (group commit defaults), `schedule create` and
 * `optimize` after their --catchup-window default was shown as a duration (10m) instead of 600000,
 * `tools install` after its tool names became choices, `payments list` and `payments` after the list
 * said how it shows a payment id started again.
 */
const recorded = JSON.parse(readFileSync(join(__dirname, "..", "fixtures", "cli", "help-before-lazy-loading.json"), "utf8")) as Record<string, string>;

describe("help output is unchanged by lazy command loading", () => {
  it("covers the top level and every command", () => {
    expect(Object.keys(recorded)).toContain("");
    expect(Object.keys(recorded)).toContain("ingest");
    expect(Object.keys(recorded).length).toBe(37);
  });

  it.each(Object.keys(recorded))("tidemark %s --help", async (path) => {
    const run = await runCli([...(path === "" ? [] : path.split(" ")), "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(recorded[path]);
  });

  it("an unknown command still gets the full suggestion list", async () => {
    const run = await runCli(["ingset"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("(Did you mean ingest?)");
  });
});

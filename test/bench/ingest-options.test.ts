import { describe, expect, it } from "vitest";
import { parseOptions, unknownOption } from "../../bench/ingest/options";

describe("npm run bench options", () => {
  it("refuses an unknown or incomplete option, naming it, instead of running the full bench", () => {
    expect(unknownOption(["--quick", "--only", "P4", "--runs", "1"])).toBeNull();
    expect(unknownOption(["--hlep"])).toBe("--hlep");
    expect(unknownOption(["--runs"])).toBe("--runs");
    expect(() => parseOptions(["--only", "P4", "stray"])).toThrow('Unknown or incomplete bench option "stray"; run "npm run bench -- --help" for the options.');
    expect(parseOptions(["--only", "p4", "--runs", "2"])).toMatchObject({ only: new Set(["P4"]), runs: 2 });
  });
});

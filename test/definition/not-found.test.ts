import { describe, expect, it } from "vitest";
import { DefinitionNotFoundError } from "../../src/definition";

describe("DefinitionNotFoundError", () => {
  it("lists at most ten known ids and counts the rest", () => {
    const known = Array.from({ length: 13 }, (_, i) => `ds${i}`);
    expect(new DefinitionNotFoundError("nope", "/defs", known).message).toBe(
      'No dataset definition with id "nope" in /defs (found "ds0", "ds1", "ds2", "ds3", "ds4", "ds5", "ds6", "ds7", "ds8", "ds9" and 3 more); add a .yaml file for it or set TIDEMARK_DATASETS to the right directory.',
    );
    expect(new DefinitionNotFoundError("nope", "/defs", []).message).toContain("(found none)");
  });
});

import { describe, expect, it } from "vitest";
import { fragmentsToSetAside, isDataError, MAX_REASON_CHARS, setAsideMessage, setAsideNotice, setAsideReason } from "../../src/intake/set-aside";

const CAST = `Invalid Input Error: JSON transform error in file "/tmp/tidemark-engine/work/2af4/source.one", in line 2: Failed to cast value to numerical: "abc"\nTry setting 'auto_detect' to true, specifying 'format' or 'records' manually, or setting 'ignore_errors' to true.`;
const MALFORMED = `Invalid Input Error: Malformed JSON in file "/tmp/w/source.one", at byte 31 in line 1: unexpected control character in string. `;

describe("set-aside decisions (pure)", () => {
  it("only errors of the data read are data errors", () => {
    expect(isDataError(CAST)).toBe(true);
    expect(isDataError("Conversion Error: Could not convert string 'x' to INT32")).toBe(true);
    expect(isDataError("Out of Range Error: Overflow in multiplication")).toBe(true);
    expect(isDataError('IO Error: Could not write file "/tmp/x": No space left on device')).toBe(false);
    expect(isDataError("Out of Memory Error: failed to allocate data of size 64.0 MiB")).toBe(false);
    expect(isDataError("INTERRUPT Error: Interrupted!")).toBe(false);
  });

  it("a reason is DuckDB's sentence without its class, the worker's file name or DuckDB's hints", () => {
    expect(setAsideReason(CAST)).toBe('JSON transform error in line 2: Failed to cast value to numerical: "…".');
    expect(setAsideReason(MALFORMED)).toBe("Malformed JSON at byte 31 in line 1: unexpected control character in string.");
    expect(setAsideReason("Invalid Input Error: ")).toBe("DuckDB could not read it.");
  });

  it("a reason shows no value of the records, only the dataset's column names", () => {
    expect(setAsideReason("Conversion Error: Could not convert string 'secret-4111' to INT64", ["id"])).toBe("Could not convert string '…' to INT64.");
    expect(setAsideReason('Invalid Input Error: Key column "id" is null.', ["id"])).toBe('Key column "id" is null.');
    expect(setAsideReason('Invalid Input Error: JSON transform error in line 1: Object {"card":"4111 1111","n":1} has unknown key "card"', ["id"])).toBe('JSON transform error in line 1: Object {…} has unknown key "…".');
    expect(setAsideReason('Invalid Input Error: Could not parse "a \\" b" in column "at"', ["at"])).toBe('Could not parse "…" in column "at".');
  });

  it("a long reason is cut to one short sentence", () => {
    const reason = setAsideReason(`Conversion Error: Could not convert ${"a long explanation ".repeat(300)}to INT64`);
    expect(reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
    expect(reason.endsWith("….")).toBe(true);
  });

  it("the fragments set aside follow the plan's order", () => {
    const failures = new Map([["f3", CAST], ["f1", MALFORMED]]);
    expect(fragmentsToSetAside(["f1", "f2", "f3"], failures).map((f) => f.fragment)).toEqual(["f1", "f3"]);
    expect(fragmentsToSetAside(["f2"], failures)).toEqual([]);
  });

  it("the notice names the copy (one fragment) or the prefix, the first reason, and what to do", () => {
    const one = [{ fragment: "f1", reason: "Malformed JSON at byte 3 in line 1: x." }];
    expect(setAsideMessage(one, "datasets/d/quarantine/fragments/")).toBe("1 fragment set aside to datasets/d/quarantine/fragments/f1: Malformed JSON at byte 3 in line 1: x; fix and re-push their records.");
    const two = [...one, { fragment: "f2", reason: "y." }];
    expect(setAsideNotice(two, "p/")).toEqual({
      fragments: 2,
      prefix: "p/",
      message: "2 fragments set aside to p/: Malformed JSON at byte 3 in line 1: x (first: f1; see source.set_aside in the version manifest for all); fix and re-push their records.",
    });
  });
});

import { describe, expect, it } from "vitest";
import { envReferences, expandEnvReferences, MissingEnvReferenceError } from "../../src/config/env-refs";

describe("env references", () => {
  const env = { SRC_USER: "ana", SRC_PASS: "s3cr:t" };

  it("lists each referenced name once, in order", () => {
    expect(envReferences("https://${SRC_USER}:${SRC_PASS}@h/${SRC_USER}")).toEqual(["SRC_USER", "SRC_PASS"]);
    expect(envReferences("https://h/plain.csv")).toEqual([]);
  });

  it("expands every reference and leaves other text alone", () => {
    expect(expandEnvReferences("https://${SRC_USER}:${SRC_PASS}@h/x.csv?a=$b", env)).toBe("https://ana:s3cr:t@h/x.csv?a=$b");
  });

  it("expands an unset variable to nothing unless it is required", () => {
    expect(expandEnvReferences("Bearer ${NOPE}", env)).toBe("Bearer ");
    expect(() => expandEnvReferences("s3://b/${NOPE}/x.csv", env, { required: true, where: "Source of ds" })).toThrow(MissingEnvReferenceError);
    expect(() => expandEnvReferences("s3://b/${NOPE}/x.csv", env, { required: true, where: "Source of ds" })).toThrow(
      "Source of ds references ${NOPE}, which is not set in the worker's environment; set NOPE where the worker runs.",
    );
  });
});

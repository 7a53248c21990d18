import { ApplicationFailure } from "@temporalio/common";
import { describe, expect, it } from "vitest";
import { DefinitionError } from "../../src/definition";
import { StoreUnavailableError } from "../../src/errors";
import { toActivityFailure } from "../../src/worker/retryability";

describe("toActivityFailure", () => {
  it("makes a permanent Tidemark error a non-retryable failure of its class name, message kept", () => {
    const f = toActivityFailure(new DefinitionError("x.yaml", ["x.yaml: schema.key is missing; add it."])) as ApplicationFailure;
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect({ type: f.type, nonRetryable: f.nonRetryable, message: f.message }).toEqual({ type: "DefinitionError", nonRetryable: true, message: "x.yaml: schema.key is missing; add it." });
  });

  it("keeps a retryable Tidemark error retryable, and leaves other errors as they are", () => {
    const f = toActivityFailure(new StoreUnavailableError("S3 is unavailable; retry with backoff.")) as ApplicationFailure;
    expect({ type: f.type, nonRetryable: f.nonRetryable }).toEqual({ type: "StoreUnavailableError", nonRetryable: false });
    const plain = new TypeError("boom");
    expect(toActivityFailure(plain)).toBe(plain);
  });
});

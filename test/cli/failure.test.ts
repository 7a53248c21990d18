import { ActivityFailure, ApplicationFailure, RetryState } from "@temporalio/common";
import { describe, expect, it } from "vitest";
import { rootFailure } from "../../src/cli/failure";

describe("rootFailure", () => {
  it("reports the typed error an activity threw, not the SDK error it wraps", () => {
    const sdk = ApplicationFailure.create({ message: "The specified bucket does not exist", type: "NoSuchBucket" });
    const typed = ApplicationFailure.create({ message: 'Bucket "b" does not exist; create it first.', type: "StoreConfigError", cause: sdk });
    const activity = new ActivityFailure("Activity task failed", "readBase", "1", RetryState.NON_RETRYABLE_FAILURE, "worker", typed);
    expect(rootFailure(activity)).toEqual({ type: "StoreConfigError", message: 'Bucket "b" does not exist; create it first.' });
  });

  it("falls back to the innermost message when no application failure is in the chain", () => {
    expect(rootFailure(new Error("Temporal is down", { cause: new Error("connect ECONNREFUSED") }))).toEqual({ type: "Error", message: "connect ECONNREFUSED" });
  });
});

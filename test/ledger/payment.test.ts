import { describe, expect, it } from "vitest";
import { PaymentInputError } from "../../src/ledger/errors";
import { DEFAULT_VERIFY_WINDOW_MS, MAX_VERIFY_WINDOW_MS, parseWindow, validatePayment, validateStuckInput } from "../../src/ledger/payment";

const input = { payment_id: "pay-1", wallet: "alice", amount: 1250, currency: "EUR" };

describe("verify_window", () => {
  it("defaults to 5 minutes and reads milliseconds or ms, s, m, h", () => {
    expect(parseWindow(undefined)).toBe(DEFAULT_VERIFY_WINDOW_MS);
    expect(parseWindow(1500)).toBe(1500);
    expect(parseWindow("90s")).toBe(90_000);
    expect(parseWindow("12h")).toBe(12 * 3_600_000);
  });

  it("refuses more than 12 hours, the longest a gateway is trusted to remember an idempotency key", () => {
    expect(MAX_VERIFY_WINDOW_MS).toBe(12 * 3_600_000);
    expect(() => validatePayment({ ...input, verify_window: "13h" })).toThrow(PaymentInputError);
    expect(() => validatePayment({ ...input, verify_window: MAX_VERIFY_WINDOW_MS + 1 })).toThrow(/longer than 12h.*use at most "12h"/);
    expect(validatePayment({ ...input, verify_window: "720m" }).verify_window_ms).toBe(MAX_VERIFY_WINDOW_MS);
  });

  it("lets the workflow's own check accept the longer windows of runs started before the limit", () => {
    expect(validatePayment({ ...input, verify_window: "48h" }, { windowLimit: false }).verify_window_ms).toBe(48 * 3_600_000);
  });

  it("still refuses a window it cannot read", () => {
    expect(() => parseWindow("soon")).toThrow(/is invalid: use milliseconds or a duration/);
    expect(() => parseWindow("5d", false)).toThrow(PaymentInputError);
  });
});

describe("stuck_after", () => {
  it("takes any one-unit duration (the 12 h limit is verify_window's alone) and names itself in its message", () => {
    expect(validateStuckInput({ stuck_after: "24h" }).stuckAfterMs).toBe(24 * 3_600_000);
    expect(() => validateStuckInput({ stuck_after: "soon" })).toThrow('stuck_after "soon" is invalid: use milliseconds or a duration such as "90s", "5m" or "1h".');
  });
});

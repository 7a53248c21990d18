import { describe, expect, it } from "vitest";
import { missingSearchAttributes, missingSearchAttributesMessage } from "../../src/worker/search-attributes";

describe("Tidemark's search attributes on a namespace", () => {
  it("names the ones missing or not Keyword", () => {
    expect(missingSearchAttributes({ TidemarkDataset: 2, TidemarkVersion: 2, TidemarkPaymentStatus: 2, Other: 1 })).toEqual([]);
    expect(missingSearchAttributes({ TidemarkDataset: 2, TidemarkVersion: 1 })).toEqual(["TidemarkVersion", "TidemarkPaymentStatus"]);
    expect(missingSearchAttributes({})).toEqual(["TidemarkDataset", "TidemarkVersion", "TidemarkPaymentStatus"]);
  });

  it("says how to create one in one sentence", () => {
    expect(missingSearchAttributesMessage(["TidemarkVersion"], "prod", "temporal:7233")).toBe(
      'Namespace prod at temporal:7233 lacks the Keyword search attribute TidemarkVersion that Tidemark\'s workflows set (without it every run hangs); create it with "temporal operator search-attribute create --namespace prod --name TidemarkVersion --type Keyword" (tidemark dev and docker-compose.yml do), then start the worker again.',
    );
  });
});

import { describe, expect, it } from "vitest";
import { baseActivities } from "../../activities/base";
import type { ActivityDeps } from "../../activities/deps";
import { DefinitionError } from "../../src/definition";

const definition = {
  id: "other",
  source: { uri: "file:///data/x.csv", format: "csv" },
  schema: { columns: [{ name: "d", type: "date" }], key: ["d"], partition_by: "d" },
};

describe("resolveDefinition", () => {
  it("refuses a passed definition whose id is not the dataset's, as a permanent DefinitionError", async () => {
    const activities = baseActivities({ datasetsDir: "/nonexistent" } as ActivityDeps);
    const err = await activities.resolveDefinition({ dataset: "mine", definition }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as Error).message).toBe('definition of mine: id is "other", not "mine"; pass a definition whose id matches the dataset.');
    expect((err as DefinitionError).retryable).toBe(false);
  });
});

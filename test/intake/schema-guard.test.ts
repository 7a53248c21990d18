import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDefinition } from "../../src/definition";
import { NotFoundError } from "../../src/errors";
import { IntakeRequestError } from "../../src/intake/errors";
import { SCHEMA_RECHECK_MS, SchemaGuard } from "../../src/intake/schema-guard";
import { FsObjectStore } from "../../src/store/fs";
import type { ObjectStore } from "../../src/store/types";
import { CLICKS_YAML } from "./bed";

const def = parseDefinition(CLICKS_YAML, "clicks.yaml");

describe("SchemaGuard", () => {
  it("lets pushes through to a dataset never published", async () => {
    await expect(new SchemaGuard(new FsObjectStore(mkdtempSync(join(tmpdir(), "tm-guard-")))).check(def)).resolves.toBeUndefined();
  });

  it("answers 503 while the store cannot be read, and reads it again on the next push", async () => {
    let reads = 0;
    const down = { get: async () => { reads++; throw new Error("connection refused"); } } as unknown as ObjectStore;
    const guard = new SchemaGuard(down);
    const refused = await guard.check(def).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(IntakeRequestError);
    expect((refused as IntakeRequestError).status).toBe(503);
    await guard.check(def).catch(() => undefined);
    expect(reads).toBe(2);
  });

  it("reuses a decision for SCHEMA_RECHECK_MS", async () => {
    let reads = 0;
    let now = 0;
    const empty = { get: async () => { reads++; throw new NotFoundError("datasets/clicks/current/manifest.json"); } } as unknown as ObjectStore;
    const guard = new SchemaGuard(empty, () => now);
    await guard.check(def);
    await guard.check(def);
    expect(reads).toBe(1);
    now = SCHEMA_RECHECK_MS;
    await guard.check(def);
    expect(reads).toBe(2);
  });
});

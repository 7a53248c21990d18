import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EngineSettingsError, engineSettingsFromEnv } from "../../src/engine/settings";

describe("engineSettingsFromEnv", () => {
  it("defaults to a 512MB memory limit, every core and a directory under the OS temp directory", () => {
    const s = engineSettingsFromEnv({});
    expect(s.memoryLimit).toBe("512MB");
    expect(s.threads).toBeGreaterThanOrEqual(1);
    expect(s.tempDirectory).toBe(join(tmpdir(), "tidemark-engine"));
  });

  it("takes the worker's environment", () => {
    expect(engineSettingsFromEnv({ TIDEMARK_ENGINE_MEMORY: " 768MiB ", TIDEMARK_ENGINE_THREADS: "1", TIDEMARK_ENGINE_TEMP: "/var/tmp/x" })).toEqual({ memoryLimit: "768MiB", threads: 1, tempDirectory: "/var/tmp/x" });
  });

  it("takes an empty variable (docker compose's VAR=) as unset, like the other engine variables", () => {
    expect(engineSettingsFromEnv({ TIDEMARK_ENGINE_MEMORY: "", TIDEMARK_ENGINE_THREADS: " ", TIDEMARK_ENGINE_TEMP: "" })).toEqual(engineSettingsFromEnv({}));
  });

  it("refuses a malformed size or thread count, saying how to set it", () => {
    expect(() => engineSettingsFromEnv({ TIDEMARK_ENGINE_MEMORY: "lots" })).toThrow(EngineSettingsError);
    expect(() => engineSettingsFromEnv({ TIDEMARK_ENGINE_MEMORY: "lots" })).toThrow('TIDEMARK_ENGINE_MEMORY="lots" is not a size; set it like "1GB" or "512MiB".');
    expect(() => engineSettingsFromEnv({ TIDEMARK_ENGINE_THREADS: "0" })).toThrow('TIDEMARK_ENGINE_THREADS="0" is not a thread count; set a whole number from 1 to 1024.');
  });
});

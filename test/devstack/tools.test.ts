import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ToolUnavailableError, findTool } from "../../src/devstack/tools";
import { TOOL_PATH_ENV, TOOL_VERSIONS, toolBinary } from "../../src/devstack/versions";

describe("tool lookup", () => {
  const dir = mkdtempSync(join(tmpdir(), "tidemark-tools-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("pins Toxiproxy and finds it under its release name, not go install's `server`", () => {
    expect(TOOL_VERSIONS.toxiproxy).toMatchObject({ module: "github.com/Shopify/toxiproxy/v2/cmd/server", builtAs: "server" });
    expect(TOOL_VERSIONS.toxiproxy.version).toMatch(/^v2\.\d+\.\d+$/);
    expect(toolBinary("toxiproxy")).toBe("toxiproxy-server");
    const env = { TIDEMARK_TOOLS_DIR: dir, PATH: "" };
    expect(findTool("toxiproxy", env)).toBeUndefined();
    writeFileSync(join(dir, "server"), "");
    expect(findTool("toxiproxy", env)).toBeUndefined();
    writeFileSync(join(dir, "toxiproxy-server"), "");
    expect(findTool("toxiproxy", env)).toEqual({ path: join(dir, "toxiproxy-server"), via: "cache" });
    expect(findTool("toxiproxy", { ...env, PATH: dir })).toEqual({ path: join(dir, "toxiproxy-server"), via: "PATH" });
  });

  it("fails loudly when a tool's path variable points nowhere", () => {
    expect(() => findTool("toxiproxy", { [TOOL_PATH_ENV.toxiproxy]: join(dir, "missing") })).toThrow(ToolUnavailableError);
  });
});

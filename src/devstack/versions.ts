/** How one external binary is pinned and built. */
export interface ToolSpec {
  /** Go package `go install` builds. */
  module: string;
  version: string;
  /** File name on PATH and in the tools cache; the tool's name when omitted. */
  binary?: string;
  /** File name `go install` produces (the package's last path segment), when it differs from `binary`. */
  builtAs?: string;
}

/** Names of the tools Tidemark can provision. */
export type ToolName = "temporal" | "minio" | "toxiproxy";

/** Pinned versions of the external binaries Tidemark's dev stack and tests run. */
export const TOOL_VERSIONS: Record<ToolName, ToolSpec> = {
  /** Temporal CLI; later releases carry a `replace` directive that blocks `go install`. */
  temporal: { module: "github.com/temporalio/cli/cmd/temporal", version: "v1.5.1" },
  /** MinIO server (pseudo-version of the 2026-02-12 master commit; MinIO tags are not semver). */
  minio: { module: "github.com/minio/minio", version: "v0.0.0-20260212201848-7aac2a2c5b7c" },
  /** Toxiproxy server for the S3 fault tests; `go install` names it `server`, releases `toxiproxy-server`. */
  toxiproxy: { module: "github.com/Shopify/toxiproxy/v2/cmd/server", version: "v2.12.0", binary: "toxiproxy-server", builtAs: "server" },
};

/** Environment variable that points at an existing binary of each tool. */
export const TOOL_PATH_ENV: Record<ToolName, string> = {
  temporal: "TEMPORAL_CLI_PATH",
  minio: "MINIO_PATH",
  toxiproxy: "TOXIPROXY_SERVER_PATH",
};

/** File name of a tool's binary on PATH and in the tools cache. */
export function toolBinary(tool: ToolName): string {
  return TOOL_VERSIONS[tool].binary ?? tool;
}

/** Pinned versions of the external binaries Tidemark's dev stack and tests run. */
export const TOOL_VERSIONS = {
  /** Temporal CLI; later releases carry a `replace` directive that blocks `go install`. */
  temporal: { module: "github.com/temporalio/cli/cmd/temporal", version: "v1.5.1" },
  /** MinIO server (pseudo-version of the 2026-02-12 master commit; MinIO tags are not semver). */
  minio: { module: "github.com/minio/minio", version: "v0.0.0-20260212201848-7aac2a2c5b7c" },
} as const;

/** Names of the tools Tidemark can provision. */
export type ToolName = keyof typeof TOOL_VERSIONS;

/** Environment variable that points at an existing binary of each tool. */
export const TOOL_PATH_ENV: Record<ToolName, string> = {
  temporal: "TEMPORAL_CLI_PATH",
  minio: "MINIO_PATH",
};

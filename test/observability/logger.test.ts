import { describe, expect, it } from "vitest";
import { TidemarkLogger, parseLogLevel } from "../../src/observability/logger";
import { redact, redactValue, REDACTED } from "../../src/observability/redact";
import { observabilityFromEnv, ObservabilityConfigError } from "../../src/observability/runtime";

const env = { AWS_SECRET_ACCESS_KEY: "fake-secret-value-123", TEMPORAL_API_KEY: "tmprl-key-abcdef", HOME: "/root", PATH: "/usr/bin" };
const fixedNow = () => new Date("2026-01-02T03:04:05.678Z");

describe("redact", () => {
  it("removes secret environment values, URL userinfo, authorization headers and AWS-shaped secrets", () => {
    expect(redact("key fake-secret-value-123 and tmprl-key-abcdef", env)).toBe(`key ${REDACTED} and ${REDACTED}`);
    expect(redact("GET https://alice:s3cr3t@example.com/a.csv?x=1 failed", env)).toBe(`GET https://${REDACTED}@example.com/a.csv?${REDACTED} failed`);
    expect(redact("https://b.s3.amazonaws.com/k?X-Amz-Credential=AK%2F1&X-Amz-Signature=abcdef0123 done", env)).toBe(`https://b.s3.amazonaws.com/k?${REDACTED} done`);
    expect(redact("query was token=tok_abc123&sig=zz9 and X-Amz-Signature=ff00", env)).toBe(`query was token=${REDACTED}&sig=${REDACTED} and X-Amz-Signature=${REDACTED}`);
    expect(redact("fetch s3://AKIDEXAMPLE:wJalr@bucket/key", env)).toBe(`fetch s3://${REDACTED}@bucket/key`);
    expect(redact("Authorization: Bearer abc.def.ghi", env)).toBe(`Authorization: ${REDACTED}`);
    expect(redact('{"authorization":"Basic dXNlcjpwYXNz"}', env)).toBe(`{"authorization":"${REDACTED}"}`);
    expect(redact("aws_secret_access_key=abc123XYZ", env)).toBe(`aws_secret_access_key=${REDACTED}`);
    expect(redact("secret wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY here", env)).toBe(`secret ${REDACTED} here`);
  });

  it("leaves ${NAME} references alone, so a message's example of the fix stays readable", () => {
    const fix = 'e.g. "https://${SOURCE_USER}:${SOURCE_PASS}@host/x.csv?token=${SOURCE_TOKEN}", so';
    expect(redact(fix, env)).toBe(fix);
    expect(redact("https://${U}:pw@host/x.csv?token=${T}&sig=abc", env)).toBe(`https://${REDACTED}@host/x.csv?${REDACTED}`);
    expect(redact("token=${T} and token=abc", env)).toBe(`token=\${T} and token=${REDACTED}`);
  });

  it("leaves the punctuation after a URL alone", () => {
    const hint = "(did you mean file:///tmp/review-ux/data?). Use file:///… URLs";
    expect(redact(hint, env)).toBe(hint);
  });

  it("leaves a path in a variable that may name a file of secrets alone, but not the secrets it holds inline", () => {
    const tokens = { TIDEMARK_INGEST_TOKENS: "/etc/tidemark/tokens.txt" };
    expect(redact("The ingest tokens file /etc/tidemark/tokens.txt cannot be read", tokens)).toBe("The ingest tokens file /etc/tidemark/tokens.txt cannot be read");
    expect(redact("got tok-inline-secret-1 clicks", { TIDEMARK_INGEST_TOKENS: "tok-inline-secret-1 clicks" })).toBe(`got ${REDACTED}`);
  });

  it("leaves ordinary text, paths, hashes and versions alone", () => {
    const plain = "published 20260102T030405678Z-1a2b3c4d of cb_series to /root/data (sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08)";
    expect(redact(plain, env)).toBe(plain);
    expect(redact("http://127.0.0.1:7233 and file:///tmp/x.csv", env)).toBe("http://127.0.0.1:7233 and file:///tmp/x.csv");
    expect(redact("git 356a192b7913b04c54574d18c28d46e6395428ab", env)).toBe("git 356a192b7913b04c54574d18c28d46e6395428ab");
  });

  it("walks metadata: errors become redacted messages, secret-named keys are replaced", () => {
    const value = redactValue({ error: new Error("to https://u:p@h/x"), nested: [{ password: "x" }], headers: { a: "b" }, n: 3, f: () => 1 }, env);
    expect(value).toEqual({ error: `to https://${REDACTED}@h/x`, nested: [{ password: REDACTED }], headers: REDACTED, n: 3 });
  });
});

describe("TidemarkLogger", () => {
  it("writes one JSON object per event with flattened SDK metadata and redacted strings", () => {
    const lines: string[] = [];
    const logger = new TidemarkLogger({ format: "json", level: "INFO", write: (l) => lines.push(l), env, now: fixedNow });
    logger.info("publish completed\nsecond line", {
      sdkComponent: "activity",
      workflowId: "tidemark/ingest/cb",
      workflowRunId: "run-1",
      activityType: "publish",
      taskQueue: "tidemark",
      version: "v1",
      dataset: "cb",
      source: "https://user:pass@example.com/s.csv",
    });
    logger.debug("hidden");
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("\n");
    expect(JSON.parse(lines[0])).toEqual({
      ts: "2026-01-02T03:04:05.678Z",
      level: "info",
      msg: "publish completed\nsecond line",
      dataset: "cb",
      version: "v1",
      workflowId: "tidemark/ingest/cb",
      runId: "run-1",
      activityType: "publish",
      taskQueue: "tidemark",
      source: `https://${REDACTED}@example.com/s.csv`,
    });
  });

  it("writes compact text lines and demotes the webpack report to debug", () => {
    const lines: string[] = [];
    const logger = new TidemarkLogger({ format: "text", level: "INFO", write: (l) => lines.push(l), env, now: fixedNow });
    logger.info("asset workflow-bundle-1.js 1.2 MiB [emitted]\nmodules by path ./node_modules/ 400 KiB");
    logger.warn("pointer moved", { dataset: "cb", current: "v 2" });
    expect(lines).toEqual(['03:04:05.678 WARN  pointer moved dataset=cb current="v 2"']);
  });

  it("parses levels and settings from flags and environment", () => {
    expect(parseLogLevel("debug")).toBe("DEBUG");
    expect(parseLogLevel("loud")).toBeUndefined();
    expect(observabilityFromEnv({}, "json", {})).toEqual({ logFormat: "json", logLevel: "INFO", metricsPort: undefined, metricsHost: "127.0.0.1", sdkMetricsPort: undefined });
    expect(observabilityFromEnv({ logFormat: "text" }, "json", { TIDEMARK_LOG_FORMAT: "json", TIDEMARK_LOG_LEVEL: "warn", TIDEMARK_METRICS_PORT: "9464", TIDEMARK_METRICS_HOST: "0.0.0.0" }))
      .toMatchObject({ logFormat: "text", logLevel: "WARN", metricsPort: 9464, metricsHost: "0.0.0.0" });
    expect(() => observabilityFromEnv({}, "json", { TIDEMARK_LOG_FORMAT: "xml" })).toThrow(ObservabilityConfigError);
    expect(() => observabilityFromEnv({}, "json", { TIDEMARK_LOG_LEVEL: "loud" })).toThrow(/TIDEMARK_LOG_LEVEL/);
    expect(() => observabilityFromEnv({}, "json", { TIDEMARK_METRICS_PORT: "http" })).toThrow(/TIDEMARK_METRICS_PORT/);
  });
});

import { describe, expect, it } from "vitest";
import {
  AlreadyExistsError,
  NotFoundError,
  PreconditionFailedError,
  StoreAccessDeniedError,
  StoreConfigError,
  StoreUnavailableError,
} from "../../src/errors";
import { mapS3Error, type S3Op } from "../../src/store/s3-errors";

const sdkError = (name: string, status?: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(`${name} message`), { name, $metadata: { httpStatusCode: status }, ...extra });
const map = (e: unknown, op: S3Op) => mapS3Error(e, { key: "k", op, bucket: "bkt", url: "s3://bkt/" });

describe("mapS3Error", () => {
  it.each<[string, unknown, S3Op, unknown]>([
    ["412 on create", sdkError("PreconditionFailed", 412), "create", AlreadyExistsError],
    ["412 on update", sdkError("PreconditionFailed", 412), "update", PreconditionFailedError],
    ["409 conflict on create", sdkError("ConditionalRequestConflict", 409), "create", AlreadyExistsError],
    ["409 conflict on update", sdkError("ConditionalRequestConflict", 409), "update", PreconditionFailedError],
    ["404 on update", sdkError("NoSuchKey", 404), "update", PreconditionFailedError],
    ["404 on read", sdkError("NoSuchKey", 404), "read", NotFoundError],
    ["HEAD 404", sdkError("NotFound", 404), "read", NotFoundError],
    ["missing bucket", sdkError("NoSuchBucket", 404), "update", StoreConfigError],
    ["403", sdkError("AccessDenied", 403), "read", StoreAccessDeniedError],
    ["bad key id", sdkError("InvalidAccessKeyId", 403), "overwrite", StoreAccessDeniedError],
    ["bad signature", sdkError("SignatureDoesNotMatch", 403), "list", StoreAccessDeniedError],
    ["no credentials", sdkError("CredentialsProviderError"), "read", StoreAccessDeniedError],
    ["wrong region", sdkError("PermanentRedirect", 301), "read", StoreConfigError],
    ["500", sdkError("InternalError", 500), "read", StoreUnavailableError],
    ["503 SlowDown", sdkError("SlowDown", 503), "create", StoreUnavailableError],
    ["throttling", sdkError("ThrottlingException", 400), "read", StoreUnavailableError],
    ["network", Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }), "read", StoreUnavailableError],
    ["aborted upload", sdkError("NoSuchUpload", 404), "overwrite", StoreUnavailableError],
    ["other 4xx", sdkError("InvalidArgument", 400), "overwrite", StoreConfigError],
  ])("maps %s", (_label, error, op, expected) => {
    expect(map(error, op)).toBeInstanceOf(expected);
  });

  it("passes through errors that are not from S3", () => {
    const bug = new TypeError("boom");
    expect(map(bug, "read")).toBe(bug);
  });

  it("tells how to create a missing bucket", () => {
    expect(map(sdkError("NoSuchBucket", 404), "overwrite").message).toMatch(/create it first.*s3 mb s3:\/\/bkt/);
  });
});

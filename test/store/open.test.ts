import { S3Client } from "@aws-sdk/client-s3";
import { resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { StoreConfigError } from "../../src/errors";
import { FsObjectStore } from "../../src/store/fs";
import { openStore } from "../../src/store/open";
import { S3ObjectStore } from "../../src/store/s3";

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("openStore", () => {
  it("opens absolute and relative file URLs", () => {
    const abs = openStore("file:///var/data/tide%20mark");
    expect(abs).toBeInstanceOf(FsObjectStore);
    expect((abs as FsObjectStore).root).toBe("/var/data/tide mark");
    expect(abs.url).toBe("file:///var/data/tide%20mark");
    expect((openStore("file://./data/x") as FsObjectStore).root).toBe(resolve("data/x"));
    expect((openStore("file://../up") as FsObjectStore).root).toBe(resolve("../up"));
    expect((openStore("file://.") as FsObjectStore).root).toBe(process.cwd());
  });

  it("opens s3 URLs with bucket and normalized prefix, using an injected client", () => {
    const client = new S3Client({ region: "us-east-1" });
    const store = openStore("s3://my-bucket/some/prefix/", { s3Client: client });
    expect(store).toBeInstanceOf(S3ObjectStore);
    expect(store).toMatchObject({ bucket: "my-bucket", prefix: "some/prefix/", url: "s3://my-bucket/some/prefix/" });
    expect(openStore("s3://my-bucket", { s3Client: client })).toMatchObject({ prefix: "", url: "s3://my-bucket/" });
    expect(openStore("s3://my-bucket/", { s3Client: client })).toMatchObject({ prefix: "" });
    client.destroy();
  });

  it("builds a path-style client from AWS_ENDPOINT_URL_S3 and AWS_REGION", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9999");
    vi.stubEnv("AWS_REGION", "eu-west-3");
    const store = openStore("s3://bucket-a/p") as unknown as { client: S3Client };
    expect(store.client.config.forcePathStyle).toBe(true);
    expect(await store.client.config.region()).toBe("eu-west-3");
    const endpoint = await store.client.config.endpoint?.();
    expect(`${endpoint?.protocol}//${endpoint?.hostname}:${endpoint?.port}`).toBe("http://127.0.0.1:9999");
    store.client.destroy();
  });

  it("uses virtual-hosted style against AWS when no endpoint is set", () => {
    vi.stubEnv("AWS_ENDPOINT_URL_S3", "");
    vi.stubEnv("AWS_ENDPOINT_URL", "");
    vi.stubEnv("AWS_REGION", "us-east-2");
    const store = openStore("s3://bucket-b") as unknown as { client: S3Client };
    expect(store.client.config.forcePathStyle).toBe(false);
    store.client.destroy();
  });

  it.each([
    "/abs/path",
    "relative/path",
    "http://example.com/x",
    "file://host/share",
    "file://data",
    "s3://",
    "s3://Bad_Bucket/x",
    "s3://b/x",
    "s3://bucket/a//b",
    "s3://bucket/../x",
    "s3://bucket/%E0%A4%A",
  ])("rejects %j with StoreConfigError", (url) => {
    expect(() => openStore(url, { s3Client: new S3Client({ region: "us-east-1" }) })).toThrow(StoreConfigError);
  });

  it("never puts credentials in the store URL", () => {
    const store = openStore("s3://bucket-c/x", { s3Client: new S3Client({ region: "us-east-1", credentials: { accessKeyId: "AKIA", secretAccessKey: "s3cr3t" } }) });
    expect(store.url).not.toMatch(/AKIA|s3cr3t/);
    expect(store.url).toBe("s3://bucket-c/x/");
  });
});

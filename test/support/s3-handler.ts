import { S3Client } from "@aws-sdk/client-s3";
import { services } from "./services";

/** The parts of the SDK's HTTP request a test's handler reads. */
export interface HttpRequest {
  method: string;
  path: string;
}

/** What the SDK's own handler answers (its response body may be a stream to destroy). */
export type Handled = { response: { body?: unknown } };

/** Hands one request to a real HTTP handler (`real`) or answers it itself. */
export type TestHandle = (request: HttpRequest, options: unknown, real: (r: HttpRequest, o?: unknown) => Promise<Handled>) => Promise<unknown>;

/**
 * An S3 client for the test MinIO (or `endpoint`) whose every request goes through `handle`, which
 * may pass it on to the SDK's real handler (of a plain client made here) or fail it, delay it, answer it.
 */
export function clientThrough(handle: TestHandle, endpoint?: string): S3Client {
  const { s3 } = services();
  const config = { endpoint: endpoint ?? s3.endpoint, region: s3.region, forcePathStyle: true, credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey } };
  const inner = new S3Client(config).config.requestHandler as unknown as { handle(r: HttpRequest, o?: unknown): Promise<Handled> };
  const requestHandler = {
    metadata: { handlerProtocol: "http/1.1" },
    handle: (request: HttpRequest, options?: unknown) => handle(request, options, (r, o) => inner.handle(r, o)),
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  return new S3Client({ ...config, requestHandler });
}

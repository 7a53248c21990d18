/** Connection details of the real services the test run started (or was given). */
export interface TestServices {
  s3: { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string };
  temporal: { address: string; namespace: string; uiUrl?: string; binary: string };
  minioBinary: string;
  /** Path of the workflow bundle built once for the run. */
  workflowBundlePath: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    services: TestServices;
  }
}

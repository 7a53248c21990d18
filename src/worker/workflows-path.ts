import { existsSync } from "node:fs";
import { join } from "node:path";

/** Path of the workflows entry point: compiled JS in `dist/`, or the TypeScript source when run from source. */
export function workflowsPath(): string {
  for (const candidate of [join(__dirname, "..", "..", "workflows", "index.js"), join(__dirname, "..", "..", "workflows", "index.ts")]) {
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`Tidemark's workflows were not found next to ${__dirname}; reinstall the package or run "npm run build".`);
}

import { readdirSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import tseslint from "typescript-eslint";

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** The activity modules (those exporting a `…Activities(deps)` factory): each imports no other; helpers live in other activities/ modules or in src/. */
const activityModules = readdirSync(new URL("./activities/", import.meta.url))
  .filter((f) => f.endsWith(".ts") && f !== "index.ts" && /^export function \w+Activities\(/m.test(readFileSync(new URL(`./activities/${f}`, import.meta.url), "utf8")))
  .map((f) => f.slice(0, -3));

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", "bench/.venv/**", "coverage/**", "test/artifacts/**"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-require-imports": "off",
    },
  },
  {
    files: ["workflows/**/*.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: nodeBuiltins.map((name) => ({ name, message: "Workflows are deterministic: no Node built-ins; do I/O in an activity." })),
          patterns: [
            {
              group: ["**/activities", "**/activities/**"],
              allowTypeImports: true,
              message: "Import activities only with `import type` and call them through proxyActivities.",
            },
            {
              group: ["@aws-sdk/*", "parquet-wasm", "parquet-wasm/*", "apache-arrow", "@temporalio/client", "@temporalio/worker", "@temporalio/activity", "**/store/**", "**/parquet/**", "**/devstack/**", "**/cli/**"],
              message: "Workflows are deterministic orchestration: this module does I/O; use it from an activity.",
            },
          ],
        },
      ],
      "no-restricted-globals": [
        "error",
        ...["process", "fetch", "setInterval", "clearInterval", "setImmediate", "queueMicrotask", "performance", "crypto", "Buffer", "require", "__dirname", "__filename", "WebAssembly"].map((name) => ({
          name,
          message: "Not deterministic or not available in the workflow sandbox; use @temporalio/workflow APIs or an activity.",
        })),
      ],
      "no-restricted-properties": [
        "error",
        { object: "Math", property: "random", message: "Use uuid4() or a deterministic helper from @temporalio/workflow." },
      ],
    },
  },
  {
    files: ["activities/**/*.ts"],
    ignores: ["activities/index.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          paths: activityModules.map((m) => ({ name: `./${m}`, allowTypeImports: true, message: "No activity module imports another: move the shared code to a helper module (activities/ or src/); only activities/index.ts composes them." })),
        },
      ],
    },
  },
);

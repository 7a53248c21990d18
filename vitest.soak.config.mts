import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.mts";

/** `npm run soak`: the crash suite with many more kills (TIDEMARK_SOAK=1), not part of `npm test`. */
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ["test/crash/**/*.test.ts"],
      env: { TIDEMARK_SOAK: "1" },
      testTimeout: 1_800_000,
      fileParallelism: false,
    },
  }),
);

import { defineConfig } from "vitest/config";
import base from "./vitest.config.mts";

/** `npm run soak`: only the crash suite, with many more kills (TIDEMARK_SOAK=1); not part of `npm test`. */
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ["test/crash/**/*.test.ts"],
    env: { TIDEMARK_SOAK: "1" },
    testTimeout: 3_600_000,
    fileParallelism: false,
  },
});

/**
 * Preloaded with `node --require`: when the process exits, writes the files it loaded through
 * require (one per line) to the path in TIDEMARK_TEST_LOADED_MODULES.
 */
"use strict";
const { writeFileSync } = require("node:fs");

process.on("exit", () => {
  writeFileSync(process.env.TIDEMARK_TEST_LOADED_MODULES, Object.keys(require.cache).join("\n") + "\n");
});

#!/usr/bin/env node
"use strict";
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const entry = join(__dirname, "..", "dist", "src", "cli", "main.js");
if (!existsSync(entry)) {
  console.error('tidemark is not built yet: run "npm run build" (npm install/ci does it automatically).');
  process.exit(1);
}
require(entry).main(process.argv).then((code) => {
  process.exitCode = code;
});

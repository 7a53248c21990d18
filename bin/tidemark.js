#!/usr/bin/env node
"use strict";
const { existsSync } = require("node:fs");
const { join } = require("node:path");

const entry = join(__dirname, "..", "dist", "src", "cli", "main.js");
if (!existsSync(entry)) {
  console.error('tidemark is not built yet: run "npm run build" (npm install/ci does it automatically).');
  process.exit(1);
}
// A reader that stops early (`tidemark versions ds | head`) ends the output, not the command with a stack trace.
process.stdout.on("error", (err) => {
  if (err.code !== "EPIPE") throw err;
});
// Engine statements hold a libuv pool thread each: a process running them gets a larger pool, sized before any I/O.
require(join(__dirname, "..", "dist", "src", "cli", "threadpool.js")).sizeThreadPool(process.argv[2]);
// Short commands start from V8's cached code; long-running processes (worker, serve, dev…) compile as usual.
const SHORT = new Set(["ingest", "status", "versions", "read", "files", "cancel", "verify", "gc", "optimize", "schedule", "wallets", "payments", "ledger"]);
if (SHORT.has(process.argv[2]) && process.env.TIDEMARK_COMPILE_CACHE !== "off") {
  require(join(__dirname, "..", "dist", "src", "cli", "compile-cache.js")).enableCompileCache();
}
require(entry).main(process.argv).then((code) => {
  process.exitCode = code;
});

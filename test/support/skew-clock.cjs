/**
 * Preloaded with `node --require`: shifts the process's Date.now by TIDEMARK_TEST_CLOCK_SKEW_MS
 * milliseconds (a host whose clock is off) and says so on stderr.
 */
"use strict";
const skew = Number(process.env.TIDEMARK_TEST_CLOCK_SKEW_MS ?? "0");
const realNow = Date.now;
Date.now = () => realNow() + skew;
process.stderr.write(`clock skewed by ${skew} ms\n`);

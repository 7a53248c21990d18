/**
 * CPU of the records path's NDJSON validation (src/intake/ndjson-validator.ts) per request body of
 * `--records` load-generator records (the events.yaml shape, 150 bytes each), in this process:
 * `--rounds` rounds of `--bodies` validations, each round's CPU (user + system) per body.
 *
 * node dist/bench/intake/validate.js [--records 100] [--bodies 20000] [--rounds 5]
 */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseDefinition } from "../../src/definition/load.js";
import { NdjsonValidator } from "../../src/intake/ndjson-validator.js";
import { DEFAULT_LIMITS } from "../../src/intake/options.js";
import { flag } from "../args.js";

const ROOT = join(__dirname, "..", "..", "..");
const records = Number(flag("records", "100"));
const count = Number(flag("bodies", "20000"));
const def = parseDefinition(readFileSync(join(ROOT, "bench", "intake", "events.yaml"), "utf8"), "events.yaml");
const validator = new NdjsonValidator(def, DEFAULT_LIMITS);
const bodies = Array.from({ length: 64 }, (_, b) => {
  const at = new Date(Date.UTC(2026, 10, 30, 12, 0, b)).toISOString();
  let out = "";
  for (let k = 0; k < records; k++) {
    const head = `{"id":"bench-${b}-${k}","at":"${at}","seq":${k},"payload":"`;
    out += `${head}${"x".repeat(Math.max(0, 150 - head.length - 3))}"}\n`;
  }
  return Buffer.from(out);
});
const per: number[] = [];
for (let r = 0; r < Number(flag("rounds", "5")); r++) {
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) if (!validator.validate(bodies[i & 63])) throw new Error("the compiled validator refused a load-generator body");
  const used = process.cpuUsage(before);
  per.push((used.user + used.system) / count);
}
process.stdout.write(`validate ${records} records/body: ${per.map((x) => x.toFixed(1)).join(", ")} µs CPU/body; load ${loadavg()[0].toFixed(2)}\n`);

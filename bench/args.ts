import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** The value after `--name` on the command line, else `fallback`. */
export function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

/** Writes a bench's report as JSON to `outJson` and its Markdown beside it (`.md`), and prints the Markdown. */
export function writeResults(outJson: string, report: unknown, md: string): void {
  mkdirSync(dirname(outJson), { recursive: true });
  writeFileSync(outJson, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(outJson.replace(/\.json$/, ".md"), md);
  process.stdout.write(md);
}

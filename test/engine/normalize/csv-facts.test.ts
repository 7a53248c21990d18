import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scanBytes } from "../../../src/engine/normalize/csv-facts";

const dir = mkdtempSync(join(tmpdir(), "tidemark-scan-"));
let n = 0;

/** Scans `text` read in chunks of every size from 1 to 7 bytes and in one chunk; all must agree. */
async function scan(text: string, prefixLines: number): Promise<string | null> {
  const path = join(dir, `f${n++}.csv`);
  writeFileSync(path, text);
  const whole = await scanBytes(path, 34, 44, prefixLines);
  for (let size = 1; size <= 7; size++) expect(await scanBytes(path, 34, 44, prefixLines, size), `chunks of ${size} bytes`).toBe(whole);
  return whole;
}

describe("scanBytes", () => {
  const cases: [string, string, number, RegExp | null][] = [
    ["quoted fields with doubled quotes and line breaks", 'a,b\n"x ""y"" z",1\n"p\nq",""""\n', 1, null],
    ["a quote inside an unquoted field", 'a,b\n x"y,1\n', 1, null],
    ["a field closed at the very end", 'a,b\n1,"x"', 1, null],
    ["a BOM before a quoted header field", '\ufeff"a",b\n1,2\n', 0, null],
    ["CRLF line breaks", "a,b\r\n1,2\r\n", 1, null],
    ["a blank before an opening quote", 'a,b\n "x",1\n', 1, /space or tab next to a quote/],
    ["a blank after a closing quote", 'a,b\n"x"\t,1\n', 1, /space or tab next to a quote/],
    ["a blank after a quote inside an unquoted field", 'a,b\nx" y,1\n', 1, /space or tab next to a quote/],
    ["a quote never closed", 'a,b\n1,"x\n2,3\n', 1, /never closed/],
    ["a doubled quote left open at the end", 'a,b\n1,"x""', 1, /never closed/],
    ["CRLF mixed with LF", "a,b\r\n1,2\n", 1, /mixed with bare LF/],
    ["a lone CR", "a,b\r1,2\r", 1, /CR line break without LF/],
    ["a blank line before the data", "a,b\n\n1,2\n", 2, /blank or multi-line record/],
    ["an odd quote before the data", 'note "x\na,b\n1,2\n', 2, /blank or multi-line record/],
  ];
  for (const [name, text, prefix, reason] of cases) {
    it(`${reason === null ? "accepts" : "declines"} ${name}, however the file is chunked`, async () => {
      const r = await scan(text, prefix);
      if (reason === null) expect(r).toBeNull();
      else expect(r).toMatch(reason);
    });
  }
});

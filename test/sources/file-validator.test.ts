import { mkdtempSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileValidator, isFileValidator, RACY_MS, unchangedSince } from "../../src/sources/file-validator";

const dir = mkdtempSync(join(tmpdir(), "tm-file-validator-"));
const stat = (path: string) => statSync(path, { bigint: true });
/** A stat time well after the file's last change (not racy). */
const later = (path: string) => Number(stat(path).ctimeMs) + RACY_MS + 1000;

describe("file validator: a local source confirmed unchanged from its stat", () => {
  it("holds for the untouched file, and not for a stat taken within RACY_MS of the file's last change", () => {
    const path = join(dir, "a.csv");
    writeFileSync(path, "x,y\n1,2\n");
    const v = fileValidator(stat(path), later(path));
    expect(isFileValidator(v)).toBe(true);
    expect(isFileValidator('"abc"')).toBe(false);
    expect(unchangedSince(v, stat(path))).toBe(true);
    expect(unchangedSince(fileValidator(stat(path), Number(stat(path).ctimeMs) + RACY_MS - 1), stat(path))).toBe(false);
  });

  it("fails after an in-place rewrite of the same size with its mtime set back, after a replacement by rename, and on garbage", () => {
    const path = join(dir, "b.csv");
    writeFileSync(path, "x,y\n1,2\n");
    const before = stat(path);
    const v = fileValidator(before, later(path));
    writeFileSync(path, "x,y\n1,3\n");
    utimesSync(path, new Date(Number(before.atimeMs)), new Date(Number(before.mtimeMs)));
    expect(stat(path).size).toBe(before.size);
    expect(unchangedSince(v, stat(path))).toBe(false);

    const w = fileValidator(stat(path), later(path));
    const other = join(dir, "b.new");
    writeFileSync(other, "x,y\n1,4\n");
    renameSync(other, path);
    expect(unchangedSince(w, stat(path))).toBe(false);
    expect(unchangedSince("file:1:2:3", stat(path))).toBe(false);
  });
});

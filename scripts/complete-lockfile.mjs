#!/usr/bin/env node
// Adds lockfile entries for platform-specific optional packages that npm left out because the
// registry it used could not serve them (a partial mirror): without them `npm ci` refuses the
// lockfile as out of sync. Entries carry os/cpu/libc so npm installs them only on their platform.
// Usage: node scripts/complete-lockfile.mjs [package-lock.json]
import { readFileSync, writeFileSync } from "node:fs";

const file = process.argv[2] ?? "package-lock.json";
const lock = JSON.parse(readFileSync(file, "utf8"));
const platform = (name) => {
  const tail = name.split("/").pop();
  const os = ["darwin", "linux", "win32", "freebsd", "android"].find((o) => tail.includes(`-${o}-`) || tail.endsWith(`-${o}`));
  const cpu = ["arm64", "x64", "ia32", "arm", "ppc64", "s390x", "riscv64"].find((c) => new RegExp(`-${c}(-|$)`).test(tail));
  const libc = /-musl(-|$)/.test(tail) ? ["musl"] : os === "linux" && /-gnu/.test(tail) ? ["glibc"] : undefined;
  return os && cpu ? { os: [os], cpu: [cpu], ...(libc ? { libc } : {}) } : undefined;
};
const added = [];
for (const [path, entry] of Object.entries(lock.packages)) {
  for (const [dep, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const where = `node_modules/${dep}`;
    const nested = path ? `${path}/node_modules/${dep}` : where;
    if (lock.packages[where] || lock.packages[nested]) continue;
    const fields = platform(dep);
    if (!fields) continue;
    lock.packages[where] = { version, ...(entry.dev ? { dev: true } : {}), optional: true, ...fields };
    added.push(`${dep}@${version}`);
  }
}
lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))));
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.length} entries:\n  ${added.join("\n  ")}` : "lockfile already complete");

/**
 * What creating a file costs on the filesystem of a `file://` store, before and right after many
 * files were deleted there: push intake writes one create-only fragment per group (a new file each)
 * and compaction deletes the fragments it consumed, while the floor server appends to one file.
 * Measures, every file in one fresh directory: `open(O_CREAT|O_EXCL)` + `close`, and the store's
 * create-only put (temporary file, fsync, link, directory fsync) of a 15,000-byte body, after
 * `sync` and a wait; then both again while a second process deletes files in that directory at a
 * steady rate (pre-created before the wait). Reports the filesystem, its mount options and, for
 * ext4, whether it has a journal (without one, the kernel's inode allocator skips inodes freed in
 * the last seconds to minutes, one buffer-cache lookup each). Writes bench/results/fs-create.{json,md}.
 *
 * node dist/bench/intake/fs-create.js [--dir /tmp] [--files 1000] [--deleted 30000] [--settle-seconds 65] [--deletes-per-second 500] [--warmup-seconds 20] [--dirty] [--out FILE.json]
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { FsObjectStore } from "../../src/store/fs.js";
import { benchTree } from "../tree.js";
import { flag, writeResults } from "../args.js";

/** Per-operation cost of one phase: wall and CPU time in µs. */
interface Cost {
  phase: string;
  ops: number;
  wallUs: number;
  userUs: number;
  sysUs: number;
}

async function timed(phase: string, ops: number, body: (i: number) => void | Promise<void>): Promise<Cost> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < ops; i++) await body(i);
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const per = (us: number) => Math.round(us / ops);
  return { phase, ops, wallUs: per(wall * 1000), userUs: per(c.user), sysUs: per(c.system) };
}

/** The mount holding `path`: its filesystem type, device, options and (ext4) whether it has a journal. */
function mountOf(path: string): { fsType: string; device: string; options: string; journal: string } {
  const lines = readFileSync("/proc/self/mountinfo", "utf8").trim().split("\n");
  let best = { point: "", fsType: "?", device: "?", options: "?" };
  for (const line of lines) {
    const [left, right] = line.split(" - ");
    const fields = left.split(" ");
    const point = fields[4];
    const [fsType, device, superOptions] = right.split(" ");
    const inside = path === point || path.startsWith(point.endsWith("/") ? point : `${point}/`);
    if (inside && point.length >= best.point.length) best = { point, fsType, device, options: `${fields[5]},${superOptions}` };
  }
  let journal = "not ext4";
  if (best.fsType === "ext4") {
    try {
      const task = readFileSync(`/sys/fs/ext4/${basename(best.device)}/journal_task`, "utf8").trim();
      journal = task === "<none>" ? "none (journal_task <none>)" : `yes (${task})`;
    } catch {
      journal = "unknown";
    }
  }
  return { fsType: best.fsType, device: best.device, options: best.options, journal };
}

/** `sync`, then a wait past the window in which the allocator skips freed inodes whose table block is clean (60 s in Linux's ext4). */
async function settle(seconds: number): Promise<void> {
  spawnSync("sync");
  await new Promise((r) => setTimeout(r, seconds * 1000));
}

/** A child process unlinking `doomed-0…` in `dir` at `perSecond`, as compaction deletes consumed fragments. */
function startDeleter(dir: string, count: number, perSecond: number): { stop: () => Promise<number> } {
  const script = `
    const fs = require("node:fs");
    const [dir, count, perSecond] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
    let i = 0;
    const t0 = Date.now();
    const tick = setInterval(() => {
      const due = Math.min(count, Math.floor(((Date.now() - t0) / 1000) * perSecond));
      for (; i < due; i++) fs.unlinkSync(dir + "/doomed-" + i);
    }, 10);
    process.on("SIGTERM", () => { clearInterval(tick); process.stdout.write(String(i)); process.exit(0); });`;
  const child = spawn(process.execPath, ["-e", script, dir, String(count), String(perSecond)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  return {
    stop: async () => {
      child.kill("SIGTERM");
      await once(child, "exit");
      return Number(out);
    },
  };
}

/**
 * Every file in one directory (`root`), so that every create draws from the same block group: raw
 * creates and store puts after a settle, then the same while another process deletes files there
 * (after `warmupSeconds` of deleting, so the freed inodes of that long are behind each create).
 */
async function phases(root: string, files: number, deleted: number, perSecond: number, settleSeconds: number, warmupSeconds: number): Promise<{ costs: Cost[]; deletedDuring: number }> {
  const body = Buffer.alloc(15_000, 0x61);
  const store = new FsObjectStore(root);
  let n = 0;
  const both = async (label: string) => {
    const tag = ++n;
    const raw = await timed(`open(O_CREAT|O_EXCL) + close, ${label}`, files, (i) => closeSync(openSync(join(root, `raw${tag}-${i}`), "wx")));
    const put = await timed(`store create-only put of 15,000 bytes, ${label}`, files, async (i) => {
      await store.put(`put${tag}-${String(i).padStart(6, "0")}`, body, { kind: "create" });
    });
    return [raw, put];
  };
  const costs: Cost[] = [];
  costs.push(await timed(`create ${deleted.toLocaleString("en-US")} empty files to delete later`, deleted, (i) => closeSync(openSync(join(root, `doomed-${i}`), "wx"))));
  await settle(settleSeconds);
  costs.push(...(await both(`after \`sync\` and ${settleSeconds} s, nothing deleted meanwhile`)));
  const deleter = startDeleter(root, deleted, perSecond);
  await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
  costs.push(...(await both(`while another process deletes ${perSecond} files/s in the directory (for ${warmupSeconds} s before)`)));
  return { costs, deletedDuring: await deleter.stop() };
}

function render(r: { at: string; tree: string; dir: string; files: number; deleted: number; settleSeconds: number; perSecond: number; warmupSeconds: number; deletedDuring: number; mount: ReturnType<typeof mountOf>; load: number[]; cpus: number; node: string; costs: Cost[] }): string {
  const rows = r.costs.map((c) => `| ${c.phase} | ${c.ops.toLocaleString("en-US")} | ${c.wallUs} | ${c.userUs} | ${c.sysUs} |`);
  return [
    `# File creation cost on the store's filesystem`,
    ``,
    `Commit measured: \`${r.tree}\`, ${r.at}. \`node dist/bench/intake/fs-create.js --dir ${r.dir} --files ${r.files} --deleted ${r.deleted} --settle-seconds ${r.settleSeconds} --deletes-per-second ${r.perSecond} --warmup-seconds ${r.warmupSeconds}\` (after \`tsc -p bench/intake\`).`,
    `Machine: ${r.cpus} CPUs, Node ${r.node}, 1-min load average ${r.load.map((x) => x.toFixed(2)).join(" → ")} (start → end).`,
    `The deleting process removed ${r.deletedDuring.toLocaleString("en-US")} files in all.`,
    `Filesystem of ${r.dir}: ${r.mount.fsType} on ${r.mount.device}, options \`${r.mount.options}\`; journal: ${r.mount.journal}.`,
    ``,
    `| phase (one process, one operation at a time, every file in one directory) | operations | wall µs/op | user CPU µs/op | system CPU µs/op |`,
    `|---|---|---|---|---|`,
    ...rows,
    ``,
  ].join("\n");
}

async function main(): Promise<void> {
  const dir = resolve(flag("dir", tmpdir()));
  const files = Number(flag("files", "1000"));
  const deleted = Number(flag("deleted", "30000"));
  const outJson = flag("out", "bench/results/fs-create.json");
  const at = new Date().toISOString();
  const t = benchTree(process.argv.includes("--dirty"));
  const root = mkdtempSync(join(dir, "tidemark-fs-create-"));
  const load0 = loadavg()[0];
  try {
    const settleSeconds = Number(flag("settle-seconds", "65"));
    const perSecond = Number(flag("deletes-per-second", "500"));
    const warmupSeconds = Number(flag("warmup-seconds", "20"));
    const { costs, deletedDuring } = await phases(root, files, deleted, perSecond, settleSeconds, warmupSeconds);
    const report = { at, tree: t, dir, files, deleted, settleSeconds, perSecond, warmupSeconds, deletedDuring, mount: mountOf(root), load: [load0, loadavg()[0]], cpus: cpus().length, node: process.version, costs };
    writeResults(outJson, report, render(report));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});

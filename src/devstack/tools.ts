import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { TidemarkError } from "../errors";
import { TOOL_PATH_ENV, TOOL_VERSIONS, toolBinary, type ToolName } from "./versions";

/** A required binary is missing and cannot be installed here. */
export class ToolUnavailableError extends TidemarkError {}

/** Where provisioned binaries live: outside the repository, so every clone on the machine reuses them. */
export function toolsDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TIDEMARK_TOOLS_DIR) return env.TIDEMARK_TOOLS_DIR;
  const cache = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(cache, "tidemark", "bin");
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Where a tool was found, if anywhere: its env variable, then PATH, then the cache directory. */
export function findTool(tool: ToolName, env: NodeJS.ProcessEnv = process.env): { path: string; via: string } | undefined {
  const fromEnv = env[TOOL_PATH_ENV[tool]];
  if (fromEnv) {
    if (!existsSync(fromEnv)) {
      throw new ToolUnavailableError(`${TOOL_PATH_ENV[tool]} points at ${fromEnv}, which does not exist; fix or unset it.`);
    }
    return { path: fromEnv, via: TOOL_PATH_ENV[tool] };
  }
  const found = onPath(toolBinary(tool), env);
  if (found) return { path: found, via: "PATH" };
  const cached = join(toolsDir(env), toolBinary(tool));
  return existsSync(cached) ? { path: cached, via: "cache" } : undefined;
}

/** Options of `ensureTool`. */
export interface EnsureToolOptions {
  env?: NodeJS.ProcessEnv;
  /** Receives one progress line at a time. */
  log?: (line: string) => void;
}

/** Returns the path of `tool`, building it with `go install` into the cache directory when it is nowhere to be found. */
export async function ensureTool(tool: ToolName, { env = process.env, log = () => {} }: EnsureToolOptions = {}): Promise<string> {
  const found = findTool(tool, env);
  if (found) {
    log(`${tool}: ${found.path} (from ${found.via})`);
    return found.path;
  }
  const { module, version, builtAs } = TOOL_VERSIONS[tool];
  const go = spawnSync("go", ["version"], { env, encoding: "utf8" });
  if (go.error || go.status !== 0) {
    throw new ToolUnavailableError(
      `${tool} is not installed and Go is not available to build it: install Go 1.24+ and re-run "npx tidemark tools install", ` +
        `or set ${TOOL_PATH_ENV[tool]} to an existing ${tool} binary.`,
    );
  }
  const dir = toolsDir(env);
  mkdirSync(dir, { recursive: true });
  const staging = mkdtempSync(join(dir, `.build-${tool}-`));
  log(`${tool}: building ${module}@${version} with go install into ${dir} (a cold build takes several minutes)…`);
  const started = Date.now();
  const target = join(dir, toolBinary(tool));
  try {
    await buildInto(staging, module, version, env, (built) => log(`${tool}: still building… ${Math.round((Date.now() - started) / 1000)} s, ${built} packages compiled`));
    renameSync(join(staging, builtAs ?? toolBinary(tool)), target);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  log(`${tool}: built in ${Math.round((Date.now() - started) / 1000)} s`);
  return target;
}

function buildInto(gobin: string, module: string, version: string, env: NodeJS.ProcessEnv, progress: (built: number) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn("go", ["install", "-v", `${module}@${version}`], {
      env: { ...env, GOBIN: gobin, GOFLAGS: `${env.GOFLAGS ?? ""} -buildvcs=false`.trim() },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let built = 0;
    const tail: string[] = [];
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 20) tail.shift();
        if (!line.startsWith("go: downloading")) built++;
      }
    };
    child.stdout.on("data", onLine);
    child.stderr.on("data", onLine);
    const timer = setInterval(() => progress(built), 15_000);
    child.on("error", (err) => {
      clearInterval(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearInterval(timer);
      if (code === 0) resolve();
      else reject(new ToolUnavailableError(`go install ${module}@${version} failed (exit ${code}); last output:\n${tail.join("\n")}`));
    });
  });
}

import { Argument, type Command } from "commander";
import { ensureTool, findTool, toolsDir } from "../../devstack/tools";
import { TOOL_PATH_ENV, TOOL_VERSIONS, type ToolName } from "../../devstack/versions";
import { say, sayJson } from "../output";

const TOOLS = Object.keys(TOOL_VERSIONS) as ToolName[];

/** `tidemark tools install|status`: provisions the Temporal CLI, MinIO and Toxiproxy binaries. */
export function registerTools(program: Command): void {
  const tools = program.command("tools").description("provision the Temporal CLI, MinIO and Toxiproxy binaries used by `dev` and the tests");
  tools
    .command("install")
    .description(`build missing tools with go install into ${toolsDir()} (honours ${Object.values(TOOL_PATH_ENV).join(", ")} and PATH first)`)
    .addArgument(new Argument("[tool...]", "tools to install").choices(TOOLS).default(TOOLS, "all"))
    .action(async (names: ToolName[]) => {
      for (const name of names) {
        const started = Date.now();
        const path = await ensureTool(name, { log: (line) => say(line) });
        say(`${name} ready at ${path} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      }
    });
  tools
    .command("status")
    .description("show where each tool is found")
    .option("--json", "machine-readable output")
    .action((opts: { json?: boolean }) => {
      const rows = TOOLS.map((name) => ({ tool: name, pinned: TOOL_VERSIONS[name].version, found: findTool(name) ?? null }));
      if (opts.json) return sayJson(rows);
      for (const row of rows) say(`${row.tool.padEnd(9)} ${row.pinned.padEnd(40)} ${row.found ? `${row.found.path} (${row.found.via})` : "missing: run npx tidemark tools install"}`);
    });
}

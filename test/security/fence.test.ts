import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { fenceEnv, fenceRecords } from "./harness/fence";

const run = promisify(execFile);
const SUPPORT = join(__dirname, "..", "support");

describe("the network fence of the security tests", () => {
  it("refuses every non-loopback connect, DNS question and answer before it is made, records each, and lets loopback through", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tm-fence-"));
    const tripwireLog = join(dir, "tripwire.log");
    writeFileSync(tripwireLog, "");
    const env = fenceEnv(dir, { ...process.env, TIDEMARK_TRIPWIRE_LOG: tripwireLog }, [join(SUPPORT, "fence-tripwire.cjs")]);
    const { stdout } = await run(process.execPath, [join(__dirname, "fence-probe.cjs")], { env, timeout: 30_000 });
    const out = JSON.parse(stdout) as Record<string, string>;
    const refused = ["tcpPrivate", "tcpPortHost", "tlsMetadata", "tcpName", "fetchMetadata", "fetchName", "dnsLookup", "dnsPromises", "dnsResolve", "injectedLookup", "udp"];
    expect(Object.fromEntries(refused.map((k) => [k, out[k]]))).toEqual(Object.fromEntries(refused.map((k) => [k, "EFENCE"])));
    expect([out.loopbackFetch, out.localhostFetch]).toEqual(["loopback-ok", "loopback-ok"]);
    expect(readFileSync(tripwireLog, "utf8")).toBe("");
    const targets = fenceRecords(dir).map((r) => `${r.kind} ${r.target}`);
    expect(targets).toEqual(expect.arrayContaining([
      "connect 10.255.255.1:9",
      "connect 192.0.2.1:9",
      "connect 169.254.169.254:443",
      "dns-question example.com",
      "dns-question example.org",
      "dns-question example.net",
      "dns-answer rebind.invalid -> 10.0.0.1",
      "udp-send 8.8.8.8",
    ]));
    expect(targets).toHaveLength(refused.length);
  });
});

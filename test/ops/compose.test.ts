import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runtimeConfig } from "../../src/config/runtime";
import { TIDEMARK_SEARCH_ATTRIBUTES } from "../../src/devstack/temporal-server";
import { observabilityFromEnv } from "../../src/observability/runtime";

const ROOT = join(__dirname, "..", "..");
const COMPOSE_FILE = join(ROOT, "docker-compose.yml");

interface Service {
  image?: string;
  build?: string | { context: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }> | string[];
  ports?: (string | { published: number | string; target: number; host_ip?: string })[];
  healthcheck?: { test: string[] };
}

const text = (value: string | string[] | undefined): string => (Array.isArray(value) ? value.join(" ") : (value ?? ""));
const env = (service: Service): Record<string, string> => Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, String(v)]));
const portText = (p: NonNullable<Service["ports"]>[number]): string => (typeof p === "string" ? p.replace(/\/tcp$/, "") : `${p.host_ip}:${p.published}:${p.target}`);
const dependsOn = (service: Service): Record<string, string> =>
  Array.isArray(service.depends_on)
    ? Object.fromEntries(service.depends_on.map((name) => [name, "service_started"]))
    : Object.fromEntries(Object.entries(service.depends_on ?? {}).map(([name, d]) => [name, d.condition]));

/** `docker compose` (plugin) or `docker-compose` (v1), whichever answers; fails loudly if neither does. */
function composeCommand(): string[] {
  for (const candidate of [["docker", "compose"], ["docker-compose"]]) {
    const probe = spawnSync(candidate[0], [...candidate.slice(1), "version"], { encoding: "utf8" });
    if (probe.status === 0) return candidate;
  }
  throw new Error('Neither "docker compose" nor "docker-compose" is installed: install one (Debian: apt-get install -y docker-compose, as .ci/run does).');
}

/** Asserts the production-shaped topology of a parsed compose file. */
function assertTopology(services: Record<string, Service>): void {
  expect(Object.keys(services).sort()).toEqual(["compaction-schedule", "minio", "minio-setup", "postgresql", "serve", "stuck-payments-schedule", "temporal", "temporal-setup", "temporal-ui", "tidemark"]);

  const temporal = services.temporal;
  expect(temporal.image).toMatch(/^temporalio\/auto-setup:\d+\.\d+\.\d+$/);
  expect(env(temporal)).toMatchObject({ DB: "postgres12", POSTGRES_SEEDS: "postgresql", DB_PORT: "5432" });
  expect(env(temporal).POSTGRES_USER).toBe(env(services.postgresql).POSTGRES_USER);
  expect(env(temporal).POSTGRES_PWD).toBe(env(services.postgresql).POSTGRES_PASSWORD);
  expect(dependsOn(temporal)).toEqual({ postgresql: "service_healthy" });
  expect(text(temporal.healthcheck?.test)).toContain("temporal operator cluster health");

  const setup = services["temporal-setup"];
  expect(dependsOn(setup)).toEqual({ temporal: "service_healthy" });
  expect(env(setup).TEMPORAL_ADDRESS).toBe("temporal:7233");
  for (const [name, type] of Object.entries(TIDEMARK_SEARCH_ATTRIBUTES)) {
    expect(text(setup.command)).toContain(name);
    expect(text(setup.command)).toContain(`--type ${type}`);
  }
  expect(text(setup.command)).toContain("exit 1");

  const ui = services["temporal-ui"];
  expect(ui.image).toMatch(/^temporalio\/ui:/);
  expect(env(ui).TEMPORAL_ADDRESS).toBe("temporal:7233");

  const bucketCommand = text(services["minio-setup"].command);
  expect(dependsOn(services["minio-setup"])).toEqual({ minio: "service_healthy" });
  const minio = env(services.minio);
  expect(bucketCommand).toContain(`mc alias set local http://minio:9000 ${minio.MINIO_ROOT_USER} ${minio.MINIO_ROOT_PASSWORD}`);

  const worker = services.tidemark;
  expect(worker.build === "." || (typeof worker.build === "object" && [".", ROOT].includes(worker.build.context))).toBe(true);
  expect(text(worker.command)).toBe("worker");
  expect(dependsOn(worker)).toEqual({ "temporal-setup": "service_completed_successfully", "minio-setup": "service_completed_successfully" });
  const workerEnv = env(worker);
  const config = runtimeConfig(workerEnv);
  expect(config.temporal).toMatchObject({ address: "temporal:7233", namespace: "default" });
  expect(config.datasetsDir).toBe("/datasets");
  expect(config.uiUrl).toBe("http://localhost:8233");
  const bucket = /^s3:\/\/([^/]+)/.exec(config.storeUrl)?.[1];
  expect(bucket, config.storeUrl).toBeTruthy();
  expect(bucketCommand).toContain(`mc mb --ignore-existing local/${bucket}`);
  expect(workerEnv).toMatchObject({ AWS_ENDPOINT_URL_S3: "http://minio:9000", AWS_ACCESS_KEY_ID: minio.MINIO_ROOT_USER, AWS_SECRET_ACCESS_KEY: minio.MINIO_ROOT_PASSWORD });
  expect(observabilityFromEnv({}, "json", workerEnv)).toMatchObject({ metricsPort: 9464, metricsHost: "0.0.0.0" });

  const published = Object.fromEntries(Object.entries(services).filter(([, s]) => s.ports).map(([name, s]) => [name, s.ports!.map(portText)]));
  expect(published).toEqual({
    temporal: ["127.0.0.1:7233:7233"],
    "temporal-ui": ["127.0.0.1:8233:8080"],
    minio: ["127.0.0.1:9000:9000", "127.0.0.1:9001:9001"],
    tidemark: ["127.0.0.1:9464:9464", "127.0.0.1:9465:9465"],
    serve: ["127.0.0.1:8080:8080"],
  });

  const serve = services.serve;
  expect(serve.build).toEqual(worker.build);
  expect(text(serve.command)).toBe("serve --host 0.0.0.0 --port 8080");
  expect(dependsOn(serve)).toEqual(dependsOn(worker));
  const serveEnv = env(serve);
  expect(runtimeConfig(serveEnv)).toMatchObject({ storeUrl: config.storeUrl, datasetsDir: config.datasetsDir, temporal: { address: "temporal:7233", namespace: "default" } });
  expect(serveEnv).toMatchObject({ AWS_ENDPOINT_URL_S3: "http://minio:9000", AWS_ACCESS_KEY_ID: minio.MINIO_ROOT_USER, AWS_SECRET_ACCESS_KEY: minio.MINIO_ROOT_PASSWORD });
  expect(Object.keys(serveEnv)).toContain("TIDEMARK_INGEST_TOKENS");

  const schedule = services["compaction-schedule"];
  expect(schedule.build).toEqual(worker.build);
  expect(text(schedule.command)).toMatch(/^schedule create (\$\{TIDEMARK_PUSH_DATASET:-clicks\}|clicks) --every 5m --if-missing$/);
  expect(runtimeConfig(env(schedule))).toMatchObject({ temporal: { address: "temporal:7233", namespace: "default" }, taskQueue: runtimeConfig(workerEnv).taskQueue });

  const stuck = services["stuck-payments-schedule"];
  expect(stuck.build).toEqual(worker.build);
  expect(text(stuck.command)).toBe("payments watch --if-missing");
  expect(dependsOn(stuck)).toEqual({ "temporal-setup": "service_completed_successfully" });
  expect(runtimeConfig(env(stuck))).toMatchObject({ temporal: { address: "temporal:7233", namespace: "default" }, taskQueue: runtimeConfig(workerEnv).taskQueue });
}

describe("docker-compose.yml", () => {
  it("declares Temporal on PostgreSQL, its UI, MinIO with the worker's bucket and a Tidemark worker built here", () => {
    const file = parse(readFileSync(COMPOSE_FILE, "utf8")) as { services: Record<string, Service> };
    assertTopology(file.services);
  });

  it("is accepted by docker compose config, which resolves the same topology", () => {
    const [bin, ...pre] = composeCommand();
    const out = execFileSync(bin, [...pre, "-f", COMPOSE_FILE, "config"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, COMPOSE_PROJECT_NAME: "tidemark" } });
    const resolved = parse(out) as { services: Record<string, Service> };
    assertTopology(resolved.services);
  });

  it("builds the worker image from every directory the build compiles, running `tidemark worker`", () => {
    const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");
    const build = JSON.parse(readFileSync(join(ROOT, "tsconfig.build.json"), "utf8")) as { include: string[] };
    for (const dir of [...build.include, "bin"]) expect(dockerfile).toMatch(new RegExp(`^COPY ${dir} \\./${dir}$`, "m"));
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "bin\/tidemark\.js"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["worker"\]$/m);
  });
});

/**
 * docker-compose.yml and the Dockerfile cannot be run here (no Docker engine), so this test checks what can go wrong
 * without one: every variable a Tokumei container gets is a declared setting, each container's environment passes
 * `loadConfig`, and the ports, broker address, ClickHouse URL and start order agree with each other.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROLES, SETTINGS, SETTING_NAMES, loadConfig, type Config } from '@tokumei/config';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), 'utf8');

type Env = Record<string, string | undefined>;

interface PortLong { target?: number | string; published?: number | string }
interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string | string[];
  restart?: string;
  container_name?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | PortLong)[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[] };
  deploy?: { replicas?: number };
}
interface ComposeFile {
  version?: unknown;
  services?: Record<string, ComposeService>;
}

/** Names that must be declared settings wherever they appear. */
const TOKUMEI_NAMES = /^TOKUMEI_/;
const OTHER_TOKUMEI_NAMES = new Set(['INGEST_PORT', 'API_PORT', 'KAFKA_BROKERS', 'CLICKHOUSE_URL', 'KAFKA_CLIENT_ID']);
/** Variables a Tokumei container may set that belong to the runtime, not to Tokumei. */
const RUNTIME_NAMES = new Set(['NODE_OPTIONS', 'NODE_ENV', 'TZ']);

const compose = parse(read('docker-compose.yml'), { merge: true }) as ComposeFile;
const services: Record<string, ComposeService> = compose.services ?? {};
const serviceNames = Object.keys(services);

/**
 * Compose interpolation as `docker compose up` would apply it with none of the variables set: `${VAR:-default}`
 * takes the default, `${VAR:?message}` (required) takes a stand-in value, `$$` is a literal `$`.
 */
function interpolate(value: string): string {
  return value.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (match: string, name: string | undefined, op: string | undefined, arg: string | undefined) => {
      if (match === '$$') return '$';
      if (name === undefined) return ''; // bare $VAR, unset
      if (op === '-' || op === ':-') return arg ?? '';
      if (op === '?' || op === ':?') return `dummy-${name.toLowerCase()}`;
      return ''; // ${VAR}, ${VAR:+alt} with VAR unset
    },
  );
}

/** A service's environment as written (uninterpolated); `null` / bare names (taken from the host) count as unset. */
function rawEnv(name: string): Env {
  const environment = services[name]?.environment ?? {};
  const env: Env = {};
  if (Array.isArray(environment)) {
    for (const entry of environment) {
      const eq = entry.indexOf('=');
      if (eq === -1) env[entry] = undefined;
      else env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
  } else {
    for (const [key, value] of Object.entries(environment)) env[key] = value === null ? undefined : String(value);
  }
  return env;
}

function env(name: string): Env {
  const out: Env = {};
  for (const [key, value] of Object.entries(rawEnv(name))) out[key] = value === undefined ? undefined : interpolate(value);
  return out;
}

// ---------- Dockerfile ----------

interface Instruction { readonly keyword: string; readonly args: string }

/** Instructions of the final build stage (the image the services run), comments dropped, continuations joined. */
function finalStage(): Instruction[] {
  const text = read('Dockerfile')
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ');
  const instructions = text.split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const space = line.search(/\s/);
      return space === -1
        ? { keyword: line.toUpperCase(), args: '' }
        : { keyword: line.slice(0, space).toUpperCase(), args: line.slice(space).trim() };
    });
  const lastFrom = instructions.map((i) => i.keyword).lastIndexOf('FROM');
  return instructions.slice(lastFrom);
}

const stage = finalStage();

function execForm(keyword: string): string[] {
  const found = stage.filter((i) => i.keyword === keyword).at(-1);
  if (found === undefined) throw new Error(`Dockerfile: the final stage has no ${keyword}`);
  const parsed: unknown = JSON.parse(found.args);
  if (!Array.isArray(parsed) || !parsed.every((p): p is string => typeof p === 'string')) {
    throw new Error(`Dockerfile: ${keyword} must be in exec (JSON array) form, got ${found.args}`);
  }
  return parsed;
}

function imageEnv(): Env {
  const out: Env = {};
  for (const { args } of stage.filter((i) => i.keyword === 'ENV')) {
    if (!args.includes('=')) {
      const [key, ...rest] = args.split(/\s+/);
      if (key !== undefined) out[key] = rest.join(' ');
      continue;
    }
    for (const pair of args.split(/\s+/)) {
      const eq = pair.indexOf('=');
      if (eq > 0) out[pair.slice(0, eq)] = pair.slice(eq + 1).replace(/^"(.*)"$/, '$1');
    }
  }
  return out;
}

// ---------- helpers ----------

/** Services that run the Tokumei image (built from this repository). */
const tokumeiServices = serviceNames.filter((name) => {
  const service = services[name];
  return service?.build !== undefined || (service?.image ?? '').split(/[:/]/).includes('tokumei');
});

function configOf(name: string): Config {
  try {
    return loadConfig({ ...imageEnv(), ...env(name) });
  } catch (error) {
    throw new Error(`service "${name}": its environment does not load: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Container ports a service publishes, with the host port each is published on. */
function publishedPorts(name: string): { container: number; host: number | undefined }[] {
  return (services[name]?.ports ?? []).map((port) => {
    if (typeof port === 'object') {
      return { container: Number(port.target), host: port.published === undefined ? undefined : Number(port.published) };
    }
    // [ip:]host:container[/protocol], or just container
    const parts = interpolate(String(port)).replace(/\/(tcp|udp)$/, '').split(':');
    const container = Number(parts.at(-1));
    return { container, host: parts.length >= 2 ? Number(parts.at(-2)) : undefined };
  });
}

function dependencies(name: string): Map<string, string> {
  const dependsOn = services[name]?.depends_on ?? [];
  if (Array.isArray(dependsOn)) return new Map(dependsOn.map((d) => [d, 'service_started']));
  return new Map(Object.entries(dependsOn).map(([d, spec]) => [d, spec.condition ?? 'service_started']));
}

function expectDependency(name: string, on: string, condition: string): void {
  const actual = dependencies(name).get(on);
  if (actual !== condition) {
    throw new Error(`service "${name}" must depend on "${on}" with condition ${condition}` +
      (actual === undefined ? ' (it does not depend on it)' : ` (it has ${actual})`));
  }
}

// ---------- tests ----------

describe('docker-compose.yml', () => {
  it('is a Compose spec file with the six services', () => {
    expect(compose.version, 'the Compose spec has no top-level "version:" key').toBeUndefined();
    for (const name of ['kafka', 'clickhouse', 'migrate', 'ingest', 'worker', 'api']) {
      expect(serviceNames, `service "${name}" is missing`).toContain(name);
    }
    expect(tokumeiServices.sort()).toEqual(['api', 'ingest', 'migrate', 'worker']);
  });

  it('sets only declared settings in the Tokumei containers', () => {
    const problems: string[] = [];
    for (const name of tokumeiServices) {
      for (const key of Object.keys(rawEnv(name))) {
        const tokumeiName = TOKUMEI_NAMES.test(key) || OTHER_TOKUMEI_NAMES.has(key);
        if (SETTING_NAMES.has(key)) continue;
        if (!tokumeiName && RUNTIME_NAMES.has(key)) continue;
        problems.push(`service "${name}" sets ${key}, which is not a declared setting (packages/config/src/settings.ts)`);
      }
    }
    for (const key of Object.keys(imageEnv())) {
      if ((TOKUMEI_NAMES.test(key) || OTHER_TOKUMEI_NAMES.has(key)) && !SETTING_NAMES.has(key)) {
        problems.push(`the Dockerfile sets ${key}, which is not a declared setting`);
      }
    }
    expect(problems, problems.join('; ')).toEqual([]);
  });

  it.each(tokumeiServices)('service "%s": its environment passes loadConfig', (name) => {
    expect(() => configOf(name)).not.toThrow();
  });

  it.each(ROLES.map((role) => [role]))('service "%s" runs exactly that role, reachable from other containers', (role) => {
    const config = configOf(role);
    expect([...config.roles], `service "${role}": TOKUMEI_ROLES`).toEqual([role]);
    if (role !== 'worker') {
      expect(['127.0.0.1', 'localhost', '::1'], `service "${role}": TOKUMEI_HOST must not be a loopback address in a container`)
        .not.toContain(config.host);
    }
  });

  it('publishes the ingest and API ports the services listen on', () => {
    const cases: [string, 'ingestPort' | 'apiPort', string][] = [['ingest', 'ingestPort', 'INGEST_PORT'], ['api', 'apiPort', 'API_PORT']];
    for (const [name, key, variable] of cases) {
      const port = configOf(name)[key];
      const match = publishedPorts(name).find((p) => p.container === port);
      if (match === undefined) {
        throw new Error(`service "${name}" listens on ${variable}=${port} but publishes no "HOST:${port}" port ` +
          `(ports: ${JSON.stringify(services[name]?.ports ?? [])})`);
      }
      expect(match.host, `service "${name}": ${variable} ${port} needs a host port`).toBeGreaterThan(0);
    }
  });

  it('gives the worker no port, so it can be scaled', () => {
    expect(services.worker?.ports, 'service "worker" must not publish ports (replicas would collide)').toBeUndefined();
    expect(services.worker?.container_name, 'service "worker" must not set container_name (it prevents --scale)').toBeUndefined();
    expect(services.worker?.deploy?.replicas ?? 1).toBeGreaterThanOrEqual(1);
  });

  it('points KAFKA_BROKERS at the kafka service\'s advertised listener', () => {
    const kafka = env('kafka');
    const advertised = new Set((kafka.KAFKA_ADVERTISED_LISTENERS ?? '').split(',')
      .map((listener) => listener.trim().replace(/^[A-Za-z0-9_]+:\/\//, ''))
      .filter((hostPort) => hostPort !== ''));
    expect(advertised.size, 'service "kafka": KAFKA_ADVERTISED_LISTENERS is empty').toBeGreaterThan(0);
    let users = 0;
    for (const name of tokumeiServices) {
      const brokers = configOf(name).kafka?.brokers ?? [];
      for (const broker of brokers) {
        users += 1;
        if (!advertised.has(broker)) {
          throw new Error(`service "${name}": KAFKA_BROKERS has ${broker}, which is not an advertised listener of ` +
            `service "kafka" (${[...advertised].join(', ')})`);
        }
        const host = broker.split(':')[0] ?? '';
        expect(serviceNames, `service "${name}": KAFKA_BROKERS host "${host}" is not a compose service`).toContain(host);
      }
    }
    expect(users, 'no Tokumei service sets KAFKA_BROKERS').toBeGreaterThan(0);
  });

  it('keeps the single broker usable and topic creation in Tokumei\'s hands', () => {
    const kafka = env('kafka');
    // Tokumei creates the raw topic with a short retention; a topic auto-created by Kafka would keep raw data 7 days.
    expect(kafka.KAFKA_AUTO_CREATE_TOPICS_ENABLE, 'service "kafka": KAFKA_AUTO_CREATE_TOPICS_ENABLE').toBe('false');
    // With one broker and the default replication factor of 3, consumer groups never find a coordinator.
    expect(kafka.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, 'service "kafka": KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR').toBe('1');
    expect(kafka.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR, 'service "kafka": KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR').toBe('1');
  });

  it('runs the Kafka version the integration tests run (test/kafka/pom.xml)', () => {
    const tested = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(read('test/kafka/pom.xml'))?.[1];
    expect(tested, 'test/kafka/pom.xml: <kafka.version>').toBeDefined();
    expect(services.kafka?.image, 'service "kafka": image').toBe(`apache/kafka:${tested ?? ''}`);
  });

  it('points CLICKHOUSE_URL at the clickhouse service, its user and its database', () => {
    const clickhouse = env('clickhouse');
    let users = 0;
    for (const name of tokumeiServices) {
      const value = configOf(name).clickhouseUrl;
      if (value === undefined) continue;
      users += 1;
      const url = new URL(value);
      const where = `service "${name}": CLICKHOUSE_URL`;
      expect(url.hostname, `${where} host must be the "clickhouse" service`).toBe('clickhouse');
      expect(url.protocol, `${where} must use ClickHouse's HTTP interface`).toBe('http:');
      expect(url.port, `${where} must use ClickHouse's HTTP port`).toBe('8123');
      expect(decodeURIComponent(url.username), `${where} user must be the clickhouse service's CLICKHOUSE_USER`).toBe(clickhouse.CLICKHOUSE_USER);
      expect(decodeURIComponent(url.password), `${where} password must be the clickhouse service's CLICKHOUSE_PASSWORD`).toBe(clickhouse.CLICKHOUSE_PASSWORD);
      expect(url.pathname, `${where} database must be the clickhouse service's CLICKHOUSE_DB`).toBe(`/${clickhouse.CLICKHOUSE_DB ?? ''}`);
    }
    expect(users, 'no Tokumei service sets CLICKHOUSE_URL').toBeGreaterThan(0);
  });

  it('starts each service after what it needs', () => {
    for (const dependency of ['kafka', 'clickhouse']) {
      expect(services[dependency]?.healthcheck?.test, `service "${dependency}" needs a healthcheck (others wait for it)`).toBeDefined();
    }
    for (const name of tokumeiServices) {
      const config = configOf(name);
      // Ingest publishes to Kafka and the worker consumes it; worker, api and migrate (all roles) use ClickHouse.
      if (config.kafka !== undefined && (config.roles.has('ingest') || config.roles.has('worker'))) {
        expectDependency(name, 'kafka', 'service_healthy');
      }
      if (config.clickhouseUrl !== undefined && (config.roles.has('worker') || config.roles.has('api'))) {
        expectDependency(name, 'clickhouse', 'service_healthy');
      }
      if (name !== 'migrate' && (config.roles.has('worker') || config.roles.has('api'))) {
        expectDependency(name, 'migrate', 'service_completed_successfully');
      }
    }
  });

  it('runs migrate once, as a one-off command', () => {
    const command = services.migrate?.command;
    expect(Array.isArray(command) ? command : command?.split(/\s+/), 'service "migrate": command').toEqual(['migrate']);
    expect(services.migrate?.restart, 'service "migrate" must not restart after it exits').toBe('no');
  });

  it('takes the API token from the deployer, never from the file', () => {
    expect(rawEnv('api').TOKUMEI_API_TOKEN, 'service "api": TOKUMEI_API_TOKEN must be a required ${TOKUMEI_API_TOKEN:?...} interpolation')
      .toMatch(/^\$\{TOKUMEI_API_TOKEN:\?[^}]*\}$/);
    expect(configOf('api').apiToken, 'service "api": without a token the API binds to loopback only').toBeDefined();
  });
});

describe('Dockerfile', () => {
  it('runs the tokumei bin, `start` by default', () => {
    const cli = JSON.parse(read('apps/tokumei/package.json')) as { bin?: Record<string, string> };
    const bin = cli.bin?.tokumei;
    expect(bin, 'apps/tokumei/package.json has no "tokumei" bin').toBeDefined();
    const binPath = path.posix.join('apps/tokumei', bin ?? '');
    expect(fs.existsSync(path.join(ROOT, binPath))).toBe(true);
    expect(execForm('ENTRYPOINT'), 'Dockerfile ENTRYPOINT').toEqual(['node', binPath]);
    expect(execForm('CMD'), 'Dockerfile CMD').toEqual(['start']);
  });

  it('runs as the unprivileged node user, binds every interface and exposes the default ports', () => {
    const user = stage.filter((i) => i.keyword === 'USER').at(-1)?.args;
    expect(user, 'Dockerfile: the final USER').toBe('node');
    expect(imageEnv().TOKUMEI_HOST, 'Dockerfile: ENV TOKUMEI_HOST').toBe('0.0.0.0');
    const exposed = stage.filter((i) => i.keyword === 'EXPOSE').flatMap((i) => i.args.split(/\s+/)).map((p) => p.replace(/\/tcp$/, ''));
    for (const name of ['INGEST_PORT', 'API_PORT'] as const) {
      const port = SETTINGS.find((s) => s.env === name)?.default;
      expect(exposed, `Dockerfile: EXPOSE the default ${name}`).toContain(port);
    }
  });
});

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { workerEnvironment } from '../../src/config/workerSchema';
import { bridgeSearchAttributes } from '../../src/shared/searchAttributes';
import { temporalDynamicConfig } from '../../src/temporal/temporalServerConfig';
import { temporalServerVersion, temporalUiVersion } from '../../src/temporal/temporalServerBuild';

const repoRoot = path.resolve(__dirname, '../..');

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  expose?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  deploy?: { replicas?: number };
  restart?: string;
  stop_grace_period?: string;
  configs?: Array<{ source: string; target: string }>;
}

const composeText = readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as {
  services: Record<string, Service>;
  configs?: Record<string, { content?: string }>;
};
const services = compose.services;
const bridgeServices = Object.entries(services).filter(([, service]) => service.build !== undefined);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sourceFiles(full) : entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every environment variable the bridge's code reads: `env.NAME` in src/, and the worker block's table. */
function variablesTheBridgeReads(): Set<string> {
  const names = new Set<string>(Object.keys(workerEnvironment));
  for (const file of sourceFiles(path.join(repoRoot, 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\benv\.([A-Z][A-Z0-9_]*)/g)) names.add(match[1]!);
  }
  return names;
}

/**
 * Compose's variable interpolation, as `docker compose` applies it to the file before anything
 * starts (https://docs.docker.com/reference/compose-file/interpolation/): `${VAR}`, `${VAR:-default}`
 * and `${VAR-default}`, `${VAR:?error}` and `${VAR?error}` (the `:` forms treat an empty value as
 * unset), and `$$` for a literal `$`. A required variable that is missing stops start-up with its error.
 */
function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])([^}]*))?\}/g,
    (whole, name?: string, colon?: string, kind?: string, arg?: string) => {
      if (whole === '$$') return '$';
      const value = env[name!];
      const unset = value === undefined || (colon === ':' && value === '');
      if (kind === '?' && unset) throw new Error(`required variable ${name} is missing a value: ${arg}`);
      if (kind === '-' && unset) return arg!;
      return value ?? '';
    },
  );
}

const secretsInEnv = {
  POSTGRES_PASSWORD: 'pg-secret-from-env',
  BRIDGE_ENCRYPTION_KEYS: 'k:AAAA',
  BRIDGE_CODEC_TOKEN: 'codec-token-from-env',
};

const seconds = (duration: string) => Number(/^(\d+)s$/.exec(duration)?.[1] ?? NaN);

describe('docker-compose.yml', () => {
  test('has Temporal on PostgreSQL, its setup, the Web UI, the codec server, the workers, the schedules job and the sandbox', () => {
    assert.deepEqual(Object.keys(services).sort(), [
      'codec-server',
      'postgresql',
      'sandbox',
      'schedules',
      'temporal',
      'temporal-schema',
      'temporal-setup',
      'temporal-ui',
      'worker',
    ]);
    assert.equal(services.temporal!.environment!.DB, 'postgres12');
    assert.equal(services.temporal!.environment!.POSTGRES_SEEDS, 'postgresql');
  });

  test('pins every image, and runs the same Temporal server and Web UI releases that npm start and the tests build', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build !== undefined) continue;
      assert.match(service.image ?? '', /^[\w./-]+:\d[\w.-]*$/, `${name} pins its image to a version`);
    }
    assert.equal(services.temporal!.image, `temporalio/server:${temporalServerVersion}`);
    assert.equal(services['temporal-schema']!.image, `temporalio/admin-tools:${temporalServerVersion}`);
    assert.equal(services['temporal-setup']!.image, `temporalio/admin-tools:${temporalServerVersion}`);
    assert.equal(services['temporal-ui']!.image, `temporalio/ui:${temporalUiVersion}`);
  });

  test('sets up both databases with the schema tool before the server starts, and the namespace and search attributes after', () => {
    const schema = services['temporal-schema']!;
    const script = schema.command!.join(' ');
    for (const step of ['create-database', 'setup-schema -v 0.0', 'update-schema --schema-name postgresql/v12/'])
      assert.ok(script.includes(step), step);
    assert.match(script, /temporal:temporal temporal_visibility:visibility/);
    assert.equal(services.temporal!.depends_on!['temporal-schema']!.condition, 'service_completed_successfully');
    const setup = services['temporal-setup']!.command!.join(' ');
    assert.match(setup, /namespace create --namespace default/);
    for (const { name } of bridgeSearchAttributes) assert.ok(setup.includes(name), `temporal-setup registers ${name}`);
  });

  test('gives the server the dynamic config of the local server: fairness, worker deployments, updates', () => {
    const mount = services.temporal!.configs!.find((config) => config.source === 'temporal-dynamic-config');
    assert.ok(mount, 'the dynamic config is mounted');
    assert.equal(services.temporal!.environment!.DYNAMIC_CONFIG_FILE_PATH, mount.target);
    const content = parse(compose.configs!['temporal-dynamic-config']!.content!) as Record<string, Array<{ value: unknown }>>;
    assert.deepEqual(
      Object.fromEntries(Object.entries(content).map(([key, [entry]]) => [key, entry!.value])),
      temporalDynamicConfig,
      'docker-compose.yml and src/temporal/temporalServerConfig.ts carry the same keys and values',
    );
    assert.equal(content['matching.enableFairness']![0]!.value, true);
  });

  test('names in the bridge services only environment variables the bridge reads', () => {
    const known = variablesTheBridgeReads();
    assert.ok(bridgeServices.length >= 4);
    for (const [name, service] of bridgeServices) {
      for (const variable of Object.keys(service.environment ?? {})) {
        assert.ok(known.has(variable), `${name} sets ${variable}, which the bridge never reads`);
      }
    }
  });

  test('runs two worker replicas whose health check probes the readiness endpoint they serve, with no host port to collide', () => {
    const worker = services.worker!;
    assert.equal(worker.deploy?.replicas, 2);
    assert.deepEqual(worker.command, ['worker']);
    assert.equal(worker.ports, undefined, 'replicas publish no fixed host port');
    const env = worker.environment!;
    assert.equal(env.BRIDGE_LISTEN_HOST, '0.0.0.0');
    assert.ok(worker.expose?.includes(String(env.BRIDGE_METRICS_PORT)), 'the metrics port is exposed to the network');
    assert.match(worker.healthcheck!.test.join(' '), new RegExp(`127\\.0\\.0\\.1:${env.BRIDGE_HEALTH_PORT}/readyz`));
    assert.ok(
      seconds(worker.stop_grace_period!) * 1000 > Number(env.BRIDGE_SHUTDOWN_GRACE_MS),
      'Docker waits longer than the shutdown grace time',
    );
  });

  test('points the workers at the services of the file: Temporal, and the sandbox on the ports it listens on', () => {
    const env = services.worker!.environment!;
    const sandbox = services.sandbox!.environment!;
    assert.equal(env.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.equal(env.PMS_URL, `http://sandbox:${sandbox.SANDBOX_PMS_PORT}`);
    assert.equal(env.CRM_URL, `http://sandbox:${sandbox.SANDBOX_CRM_PORT}`);
    assert.equal(env.PMS_TOKEN, sandbox.PMS_TOKEN);
    assert.equal(env.CRM_TOKEN, sandbox.CRM_TOKEN);
    assert.equal(services.schedules!.environment!.TEMPORAL_TASK_QUEUE, env.TEMPORAL_TASK_QUEUE);
    assert.equal(
      services['codec-server']!.environment!.BRIDGE_ENCRYPTION_KEYS,
      env.BRIDGE_ENCRYPTION_KEYS,
      'workers and the codec server share the keys',
    );
  });

  test('gives every long-running service a health check and makes dependants wait on it', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.restart === 'no') continue; // one-shot jobs
      assert.ok(service.healthcheck?.test?.length, `${name} has a health check`);
    }
    for (const [name, service] of Object.entries(services)) {
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        const target = services[dependency];
        assert.ok(target, `${name} depends on ${dependency}, which is defined`);
        const expected = target.restart === 'no' ? 'service_completed_successfully' : 'service_healthy';
        assert.equal(condition, expected, `${name} waits for ${dependency}`);
      }
    }
  });

  test('has no default database password: without POSTGRES_PASSWORD in .env, start-up stops and says what to set', () => {
    assert.doesNotMatch(composeText, /POSTGRES_PASSWORD:-/, 'no fallback value for the password');
    const withoutPassword: Record<string, string> = { ...secretsInEnv };
    delete withoutPassword.POSTGRES_PASSWORD;
    for (const env of [withoutPassword, { ...withoutPassword, POSTGRES_PASSWORD: '' }]) {
      assert.throws(
        () => interpolate(composeText, env),
        /required variable POSTGRES_PASSWORD is missing a value: set POSTGRES_PASSWORD in \.env/,
      );
    }
    const resolved = parse(interpolate(composeText, secretsInEnv), { merge: true }) as { services: Record<string, Service> };
    assert.equal(resolved.services.postgresql!.environment!.POSTGRES_PASSWORD, 'pg-secret-from-env');
    assert.equal(resolved.services.temporal!.environment!.POSTGRES_PWD, 'pg-secret-from-env', 'Temporal logs in with the same password');
  });

  test('requires every secret from .env, with no default for any of them', () => {
    for (const name of Object.keys(secretsInEnv)) {
      const missing: Record<string, string> = { ...secretsInEnv };
      delete missing[name];
      assert.throws(() => interpolate(composeText, missing), new RegExp(`required variable ${name} is missing`), `${name} is required`);
      assert.doesNotMatch(composeText, new RegExp(`\\$\\{${name}:?-`), `${name} has no default`);
    }
  });

  test('keeps the Temporal frontend and the codec server inside the compose network; the Web UI and the sandbox on the host loopback only', () => {
    assert.equal(services.temporal!.ports, undefined, 'the frontend (no authentication) is not published');
    assert.deepEqual(services.temporal!.expose, ['7233']);
    assert.equal(services['codec-server']!.ports, undefined, 'the codec server (it decrypts everything) is not published');
    assert.deepEqual(services['codec-server']!.expose, ['8234']);
    assert.equal(
      services['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT,
      undefined,
      'no codec token handed to every visitor of the UI',
    );
    const published = Object.values(services).flatMap((service) => service.ports ?? []);
    assert.deepEqual(published.sort(), ['127.0.0.1:4010:4010', '127.0.0.1:4020:4020', '127.0.0.1:8233:8080']);
  });

  test('docker-compose.ports.yml, the opt-in, publishes the frontend and the codec server (on loopback unless told otherwise) and points the UI at the codec server', () => {
    const optIn = readFileSync(path.join(repoRoot, 'docker-compose.ports.yml'), 'utf8');
    const opted = parse(interpolate(optIn, secretsInEnv)) as { services: Record<string, Service> };
    assert.deepEqual(Object.keys(opted.services).sort(), ['codec-server', 'temporal', 'temporal-ui']);
    assert.deepEqual(opted.services.temporal!.ports, ['127.0.0.1:7233:7233']);
    assert.deepEqual(opted.services['codec-server']!.ports, ['127.0.0.1:8234:8234']);
    assert.equal(opted.services['temporal-ui']!.environment!.TEMPORAL_CODEC_ENDPOINT, 'http://localhost:8234/t/codec-token-from-env');
    const everywhere = parse(interpolate(optIn, { ...secretsInEnv, TEMPORAL_PUBLISH_ADDRESS: '0.0.0.0' })) as {
      services: Record<string, Service>;
    };
    assert.deepEqual(everywhere.services.temporal!.ports, ['0.0.0.0:7233:7233'], 'wider only when the user says so');
    for (const name of Object.keys(opted.services)) assert.ok(services[name], `${name} is a service of docker-compose.yml`);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');

  test('builds in stages on a current Node LTS and runs as a non-root user', () => {
    const bases = [...dockerfile.matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
    assert.ok(bases.length >= 2, 'multi-stage');
    for (const base of bases) assert.match(base, /^node:(22|24)[-.\w]*$/);
    const user = [...dockerfile.matchAll(/^USER\s+(\S+)/gm)].at(-1)?.[1];
    assert.ok(user && user !== 'root' && user !== '0', 'the final stage runs as an unprivileged user');
    assert.match(dockerfile, /npm ci --omit=dev/);
  });
});

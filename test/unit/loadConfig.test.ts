import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/loadConfig';

const emptyDir = () => mkdtempSync(path.join(tmpdir(), 'bridge-config-'));
function withFile(yaml: string): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = emptyDir();
  writeFileSync(path.join(dir, 'bridge.yaml'), yaml);
  return { dir, env: {} };
}

describe('configuration', () => {
  test('with nothing set, the embedded sandbox default is valid', () => {
    const config = loadConfig({}, emptyDir());
    assert.equal(config.productSyncs[0]?.id, 'products');
    assert.equal(config.systems.crm?.url, 'http://127.0.0.1:4020');
    assert.equal(config.temporal.address, undefined);
  });

  test('environment variables override the file', () => {
    const { dir } = withFile('temporal:\n  namespace: from-file\n');
    const config = loadConfig({ TEMPORAL_ADDRESS: 'temporal.example:7233', TEMPORAL_NAMESPACE: 'from-env', CRM_TOKEN: 'secret' }, dir);
    assert.equal(config.temporal.address, 'temporal.example:7233');
    assert.equal(config.temporal.namespace, 'from-env');
    assert.equal(config.systems.crm?.token, 'secret');
  });

  test('a bad value stops start-up with a message naming the field and what was expected', () => {
    const { dir } = withFile('productSyncs:\n  - id: products\n    source: pms\n    target: crm\n    pageSize: 0\n    mode: sideways\n');
    assert.throws(
      () => loadConfig({}, dir),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /productSyncs\.0\.pageSize: Too small/);
        assert.match(error.message, /productSyncs\.0\.mode: Invalid option: expected one of "upsert"\|"update-only"\|"mirror"/);
        return true;
      },
    );
  });

  test('a sync that names an unknown system is refused with the known ones listed', () => {
    const { dir } = withFile('productSyncs:\n  - id: products\n    source: erp\n    target: crm\n');
    assert.throws(() => loadConfig({}, dir), /productSyncs\.0\.source: names system 'erp', which is not under systems \(known: pms, crm\)/);
  });

  test('a bad TEMPORAL_ADDRESS and a missing BRIDGE_CONFIG file are named', () => {
    assert.throws(() => loadConfig({ TEMPORAL_ADDRESS: 'no port' }, emptyDir()), /temporal\.address: expected host:port/);
    assert.throws(() => loadConfig({ BRIDGE_CONFIG: 'missing.yaml' }, emptyDir()), /missing\.yaml does not exist/);
  });

  test('YAML that does not parse is reported as such', () => {
    const { dir } = withFile('productSyncs: [\n');
    assert.throws(() => loadConfig({}, dir), /is not valid YAML/);
  });
});

describe('connection to a real Temporal cluster', () => {
  test('TLS files are read at connect, and a missing one is named with what to fix', async () => {
    const { temporalConnectionOptions } = await import('../../src/temporal/connectionOptions');
    const dir = emptyDir();
    writeFileSync(path.join(dir, 'ca.pem'), 'CA');
    const config = loadConfig({ TEMPORAL_TLS_CA: path.join(dir, 'ca.pem'), TEMPORAL_API_KEY: 'key-123' }, dir);
    const options = temporalConnectionOptions(config, 'cluster.example:7233');
    assert.deepEqual(options.tls, { serverRootCACertificate: Buffer.from('CA') });
    assert.equal(options.apiKey, 'key-123');

    const broken = loadConfig({ TEMPORAL_TLS_CERT: path.join(dir, 'missing.pem'), TEMPORAL_TLS_KEY: path.join(dir, 'key.pem') }, dir);
    assert.throws(
      () => temporalConnectionOptions(broken, 'cluster.example:7233'),
      /Cannot read the client certificate at .*missing\.pem \(temporal\.tls\)/,
    );
  });

  test('mTLS with a certificate but no key is refused at start-up', () => {
    assert.throws(
      () => loadConfig({ TEMPORAL_TLS_CERT: '/etc/cert.pem' }, emptyDir()),
      /temporal\.tls: mTLS needs both certFile and keyFile/,
    );
  });

  test('an API key alone turns TLS on, as Temporal Cloud requires', async () => {
    const { temporalConnectionOptions } = await import('../../src/temporal/connectionOptions');
    const options = temporalConnectionOptions(loadConfig({ TEMPORAL_API_KEY: 'k' }, emptyDir()), 'ns.tmprl.cloud:7233');
    assert.equal(options.tls, true);
  });
});

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test } from 'node:test';
import { withBuildLock } from '../../src/temporal/buildLock';
import { ensureLocalTemporal, localTemporalMode } from '../../src/temporal/localTemporalBinaries';
import { ensureTemporalServer, ensureTemporalUiServer } from '../../src/temporal/temporalServerBuild';

const dir = mkdtempSync(path.join(tmpdir(), 'bridge-build-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the build lock', () => {
  test('two builds of the same lock run one after the other, never at once', async () => {
    const lock = path.join(dir, 'serial.lock');
    const events: string[] = [];
    const build = (name: string) =>
      withBuildLock(
        lock,
        name,
        () => {},
        async () => {
          events.push(`${name} start`);
          await sleep(300);
          events.push(`${name} end`);
          return name;
        },
      );
    assert.deepEqual(await Promise.all([build('a'), build('b')]), ['a', 'b']);
    assert.deepEqual(events, ['a start', 'a end', 'b start', 'b end']);
    assert.equal(existsSync(lock), false, 'the lock is released');
  });

  test('a lock left by a process that died is taken over, with a line that says so', async () => {
    const lock = path.join(dir, 'stale.lock');
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((resolve) => dead.once('exit', resolve));
    mkdirSync(lock);
    writeFileSync(path.join(lock, 'owner.json'), JSON.stringify({ pid: dead.pid, host: hostname(), what: 'a build', since: 'then' }));
    const lines: string[] = [];
    assert.equal(
      await withBuildLock(
        lock,
        'x',
        (line) => lines.push(line),
        async () => 'built',
      ),
      'built',
    );
    assert.match(lines.join('\n'), new RegExp(`process ${dead.pid} that held it is gone`));
  });

  test('a failed build releases the lock', async () => {
    const lock = path.join(dir, 'failing.lock');
    await assert.rejects(
      withBuildLock(
        lock,
        'x',
        () => {},
        async () => {
          throw new Error('go install failed');
        },
      ),
      /go install failed/,
    );
    assert.equal(existsSync(lock), false);
  });
});

describe('BRIDGE_LOCAL_TEMPORAL', () => {
  test('is server, cli or unset (auto); anything else is refused with the choices', () => {
    assert.equal(localTemporalMode({}), 'auto');
    assert.equal(localTemporalMode({ BRIDGE_LOCAL_TEMPORAL: 'server' }), 'server');
    assert.equal(localTemporalMode({ BRIDGE_LOCAL_TEMPORAL: 'cli' }), 'cli');
    assert.throws(() => localTemporalMode({ BRIDGE_LOCAL_TEMPORAL: 'docker' }), /use 'server'.*'cli'.*or leave it unset/);
  });
});

describe('without Go', () => {
  // An empty cache and a PATH without `go`: nothing can be built.
  const cache = path.join(dir, 'empty-cache');
  const cliDir = path.join(dir, 'bin');
  mkdirSync(cliDir, { recursive: true });
  const fakeCli = path.join(cliDir, 'temporal');
  writeFileSync(fakeCli, '#!/bin/sh\n', { mode: 0o755 });
  const noGo = { PATH: '/nonexistent', XDG_CACHE_HOME: cache, TEMPORAL_CLI_PATH: fakeCli };

  test('the server build fails with what is missing and what to do', async () => {
    const failure =
      /Go is not installed \(no `go` on PATH\)\. To build it, install Go 1\.21 or newer .* module proxy .*BRIDGE_LOCAL_TEMPORAL=cli/s;
    await assert.rejects(ensureTemporalServer({ env: noGo, log: () => {} }), failure);
    await assert.rejects(ensureTemporalUiServer({ env: noGo, log: () => {} }), failure);
  });

  test('unset, the local Temporal falls back to the CLI dev server with a notice that says why', async () => {
    const lines: string[] = [];
    const local = await ensureLocalTemporal({ ui: true, env: noGo, log: (line) => lines.push(line) });
    assert.equal(local.kind, 'cli');
    assert.match(local.description, /server 1\.29\.1, Web UI 2\.42\.1/);
    const notice = lines.join('\n');
    assert.match(notice, /could not be built, so this runs on the/);
    assert.match(notice, /cannot pause, unpause or reset activities/);
    assert.match(notice, /Go is not installed/);
  });

  test('with BRIDGE_LOCAL_TEMPORAL=server the failure stops everything', async () => {
    await assert.rejects(
      ensureLocalTemporal({ ui: false, env: { ...noGo, BRIDGE_LOCAL_TEMPORAL: 'server' }, log: () => {} }),
      /Go is not installed/,
    );
  });

  test('with BRIDGE_LOCAL_TEMPORAL=cli nothing is built and nothing is said', async () => {
    const lines: string[] = [];
    const local = await ensureLocalTemporal({ ui: true, env: { ...noGo, BRIDGE_LOCAL_TEMPORAL: 'cli' }, log: (line) => lines.push(line) });
    assert.equal(local.kind, 'cli');
    assert.deepEqual(lines, []);
    assert.equal(existsSync(path.join(cache, 'crm-pms-bridge', 'temporal-server')), false);
  });
});

const goMissing = spawnSync('go', ['version']).error ? 'Go is not installed here (the test above covers that)' : false;

describe('with the Go module proxy out of reach', { skip: goMissing }, () => {
  test('the server build fails with the end of what go said, and what to do', async () => {
    // GOPROXY=off and an empty module cache: the pinned toolchain cannot be fetched.
    const env = {
      ...process.env,
      XDG_CACHE_HOME: path.join(dir, 'offline-cache'),
      GOMODCACHE: path.join(dir, 'offline-gomod'),
      GOPROXY: 'off',
    };
    await assert.rejects(
      ensureTemporalServer({ env, log: () => {} }),
      /Building the Temporal server v1\.32\.2 and its SQL tool \(Go modules and the go1\.27\.3 toolchain come from the Go module proxy\) failed: .*go said:\n.*go1\.27\.3 for [\w/]+: toolchain not available\n.*make the Go module proxy reachable.*GOPROXY is 'off'/s,
    );
  });
});

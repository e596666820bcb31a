import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createLogger } from '../../src/logging/logger';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger('test', { level: 'info', destination }) };
}

describe('structured logs', () => {
  test('tokens, passwords, authorization headers, e-mails and phones are redacted wherever they sit', () => {
    const { lines, logger } = capture();
    logger.info(
      {
        token: 'tok-1',
        system: { token: 'tok-2', password: 'pw', apiKey: 'ak' },
        request: { headers: { authorization: 'Bearer tok-3' } },
        contact: { email: 'anna@acme.example', phone: '+49 30 123' },
        email: 'bob@acme.example',
      },
      'something happened',
    );
    const line = lines.join('');
    for (const secret of ['tok-1', 'tok-2', 'tok-3', 'pw', 'ak', 'anna@acme.example', 'bob@acme.example', '+49 30 123']) {
      assert.ok(!line.includes(secret), `${secret} leaked: ${line}`);
    }
    assert.match(line, /\[redacted\]/);
    assert.match(line, /something happened/);
  });

  test('child loggers carry integration, workflow and run ids on every line', () => {
    const { lines, logger } = capture();
    logger.child({ integrationId: 'products', workflowId: 'wf-1', runId: 'run-1' }).info('page done');
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.equal(entry.integrationId, 'products');
    assert.equal(entry.workflowId, 'wf-1');
    assert.equal(entry.runId, 'run-1');
  });
});

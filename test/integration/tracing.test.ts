import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/logging/logger';
import { connectClient } from '../../src/temporal/clientConnection';
import { startTracing, stopTracing } from '../../src/temporal/tracing';
import { createBridgeWorker } from '../../src/temporal/worker';
import { productSync } from '../../workflows/productSync';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlpReceiver';
import { startSandbox, testConfig, type TestSandbox } from '../helpers/sandbox';
import { useTemporalServer, workflowBundle } from '../helpers/temporalServer';
import { uniqueTaskQueue } from '../helpers/worker';

describe('tracing: one product sync is one connected trace, exported over OTLP', () => {
  const temporal = useTemporalServer();
  let receiver: OtlpReceiver;
  let sandbox: TestSandbox;
  const logLines: Array<Record<string, unknown>> = [];
  let spans: ReceivedSpan[] = [];

  before(async () => {
    receiver = await startOtlpReceiver();
    sandbox = await startSandbox({ products: 60 });
    const config = testConfig(sandbox, uniqueTaskQueue('tracing'), { observability: { otlp: { endpoint: receiver.endpoint } } });
    startTracing(config, {});

    const destination = new PassThrough();
    destination.on('data', (line: Buffer) => logLines.push(JSON.parse(line.toString('utf8')) as Record<string, unknown>));
    const worker = await createBridgeWorker({
      config,
      connection: temporal.env.nativeConnection,
      logger: createLogger('test-worker', { level: 'info', destination }),
      workflowBundle: await workflowBundle(),
    });
    // The client of `bridge sync` and the webhook receiver: connectClient carries the trace context.
    const client = await connectClient(config, { address: temporal.env.connection.options.address });
    try {
      await worker.runUntil(async () => {
        const handle = await client.workflow.start(productSync, {
          taskQueue: config.temporal.taskQueue,
          workflowId: 'traced-product-sync',
          // Three pages over two runs: the trace must survive a continue-as-new.
          args: [{ integrationId: 'products', pageSize: 25, pagesPerRun: 2 }],
        });
        const summary = await handle.result();
        assert.equal(summary.counts.created, 60);
      });
    } finally {
      await client.connection.close();
      await stopTracing();
    }
    spans = receiver.spans;
  });

  after(async () => {
    await receiver?.close();
    await sandbox?.close();
  });

  const named = (prefix: string) => spans.filter((span) => span.name.startsWith(prefix));
  const byId = () => new Map(spans.map((span) => [span.spanId, span]));

  test('every span of the sync shares one trace id, posted as OTLP/JSON under the service name', () => {
    assert.ok(spans.length > 0, 'the receiver got spans');
    assert.deepEqual(new Set(spans.map((span) => span.traceId)).size, 1, 'one trace');
    assert.ok(receiver.contentTypes.every((type) => type.startsWith('application/json')));
    assert.deepEqual(new Set(spans.map((span) => span.serviceName)), new Set(['crm-pms-bridge']));
  });

  test('the trace is connected: one root, the client start, and every other span has its parent in the trace', () => {
    const ids = byId();
    const roots = spans.filter((span) => !span.parentSpanId);
    assert.deepEqual(
      roots.map((span) => span.name),
      ['StartWorkflow:productSync'],
    );
    for (const span of spans) {
      if (span.parentSpanId) assert.ok(ids.has(span.parentSpanId), `${span.name} has its parent in the trace`);
    }
  });

  test('client start -> workflow run (both runs of the continue-as-new) -> activities -> HTTP calls with status codes', () => {
    const ids = byId();
    const parentName = (span: ReceivedSpan) => (span.parentSpanId ? ids.get(span.parentSpanId)?.name : undefined);
    const runs = named('RunWorkflow:productSync');
    assert.ok(runs.length >= 2, `a run per continue-as-new (got ${runs.length})`);
    assert.ok(named('ContinueAsNew:productSync').length >= 1);
    assert.ok(named('RunActivity:').length >= 3, 'the activities of three pages');
    for (const activity of named('RunActivity:')) assert.match(parentName(activity) ?? '', /^StartActivity:/);

    const pmsCalls = named('PMS ');
    const crmCalls = named('CRM ');
    assert.ok(pmsCalls.length >= 3, 'the PMS pages were read');
    assert.ok(
      crmCalls.some((span) => span.attributes['http.route'] === '/api/products/batch/upsert'),
      'the CRM was written',
    );
    for (const call of [...pmsCalls, ...crmCalls]) {
      assert.match(parentName(call) ?? '', /^RunActivity:/, `${call.name} nests under its activity`);
      assert.equal(call.attributes['http.response.status_code'], 200);
      assert.ok(['GET', 'POST'].includes(String(call.attributes['http.request.method'])));
      assert.ok(['PMS', 'CRM'].includes(String(call.attributes['bridge.system'])));
    }
  });

  test('no span attribute carries a product value from the catalogue', () => {
    const values = new Set<string>();
    for (const product of sandbox.pmsProducts()) {
      for (const value of Object.values(product as Record<string, unknown>)) {
        if (typeof value === 'string' && value.length >= 4) values.add(value);
      }
    }
    assert.ok(values.size > 100, 'the catalogue has names, SKUs, ids and descriptions to look for');
    for (const span of spans) {
      const text = `${span.name} ${JSON.stringify(span.attributes)}`;
      for (const value of values) assert.ok(!text.includes(value), `span ${span.name} carries a catalogue value`);
    }
  });

  test('log lines written inside an activity carry its trace and span ids', () => {
    const upserted = logLines.filter((line) => line.msg === 'products upserted');
    assert.ok(upserted.length >= 1);
    const traceId = spans[0]!.traceId;
    const activitySpans = new Set(named('RunActivity:').map((span) => span.spanId));
    for (const line of upserted) {
      assert.equal(line.trace_id, traceId);
      assert.ok(activitySpans.has(String(line.span_id)), 'the span is the activity the line was written in');
    }
  });
});

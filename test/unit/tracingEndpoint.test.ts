import assert from 'node:assert/strict';
import { test } from 'node:test';
import { otlpTracesUrl } from '../../src/temporal/tracing';

const configured = (endpoint?: string) => ({ observability: { otlp: { endpoint }, serviceName: 'crm-pms-bridge' } });

test('without an endpoint in the configuration or the OTEL_* variables, tracing is off', () => {
  assert.equal(otlpTracesUrl(configured(), {}), undefined);
});

test('OTEL_EXPORTER_OTLP_ENDPOINT is a base URL: /v1/traces is appended, as OpenTelemetry specifies', () => {
  assert.equal(otlpTracesUrl(configured(), { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }), 'http://collector:4318/v1/traces');
});

test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as it is and wins over the base URL', () => {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom/traces' };
  assert.equal(otlpTracesUrl(configured(), env), 'http://b:4318/custom/traces');
});

test('observability.otlp.endpoint in the configuration wins over the environment', () => {
  const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/v1/traces' };
  assert.equal(otlpTracesUrl(configured('http://c:4318'), env), 'http://c:4318/v1/traces');
});

test('OTEL_SDK_DISABLED=true turns tracing off even with an endpoint', () => {
  assert.equal(otlpTracesUrl(configured('http://c:4318'), { OTEL_SDK_DISABLED: 'true' }), undefined);
});

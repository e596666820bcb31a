import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { redactBody, refusalDetail, sentStrings, textCells, withoutSentValues } from '../../src/connectors/refusalReason';

const sent = {
  inputs: [
    {
      externalId: 'P-000123',
      properties: { name: 'Made for Jane Roe-Okafor, jane.roe@example.com, +44 20 7946 0958', stock: 3, currency: 'EUR' },
    },
  ],
};
const values = sentStrings(sent);

describe('failure reasons without the values the bridge sent', () => {
  test('the values of a request are collected; record ids are kept, as an operator needs them', () => {
    assert.deepEqual(values, ['Made for Jane Roe-Okafor, jane.roe@example.com, +44 20 7946 0958', 'EUR']);
    assert.deepEqual(
      sentStrings({ Id: '001A', demandId: 'D-1', id: 'x-1', entityIds: ['feat-1'], target: { type: 'feature' }, title: 'A customer need' }),
      ['A customer need'],
    );
  });

  test('the sandbox CRM: the echoed value is cut, the code, the record, the field and the rule stay', () => {
    const body = {
      error: 'VALIDATION_ERROR',
      message: `Batch refused: input 0 (externalId P-000123): name must be at most 100 characters (got "${sent.inputs[0]!.properties.name}"). Nothing was written.`,
    };
    assert.equal(
      refusalDetail(redactBody(body, values)),
      'VALIDATION_ERROR: Batch refused: input 0 (externalId P-000123): name must be at most 100 characters (got "…"). Nothing was written.',
    );
  });

  test("HubSpot's shape: the category stays, the value quoted inside the message is cut", () => {
    const body = {
      status: 'error',
      category: 'VALIDATION_ERROR',
      message: `Property values were not valid: [{"isValid":false,"message":"${JSON.stringify(sent.inputs[0]!.properties.name).slice(1, -1)} was not a valid number","error":"INVALID_INTEGER","name":"stock"}]`,
    };
    const detail = refusalDetail(redactBody(body, values));
    assert.equal(
      detail,
      'VALIDATION_ERROR: Property values were not valid: [{"isValid":false,"message":"… was not a valid number","error":"INVALID_INTEGER","name":"stock"}]',
    );
  });

  test("Salesforce's shape: the error code and the fields stay; a shortened echo of the value is cut too", () => {
    const body = [
      {
        errorCode: 'STRING_TOO_LONG',
        fields: ['Name'],
        message: 'Product Name: data value too large: Made for Jane Roe-Okafor, jane.ro (max length=40)',
      },
    ];
    assert.equal(refusalDetail(redactBody(body, values)), 'STRING_TOO_LONG (Name): Product Name: data value too large: … (max length=40)');
  });

  test('JSON:API errors and plain-text bodies', () => {
    assert.equal(refusalDetail({ errors: [{ code: 'invalid', detail: 'name is invalid' }] }), 'invalid: name is invalid');
    assert.equal(
      refusalDetail(redactBody('bad value MADE FOR JANE ROE-OKAFOR, JANE.ROE@EXAMPLE.COM, +44 20 7946 0958 here', values)),
      'bad value … here',
    );
  });

  test('values of under three characters and numbers are left alone; a long message is cut to 500 characters', () => {
    assert.equal(withoutSentValues('currency EUR is not allowed; stock 3', ['EU', 'EUR']), 'currency … is not allowed; stock 3');
    assert.equal(withoutSentValues('x'.repeat(600), []).length, 501);
  });

  test('CSV cells (a Salesforce Bulk job) are values too', () => {
    const cells = textCells('Name,Description\n"Roe, Jane","said ""hello"""\n');
    assert.ok(cells.includes('Roe, Jane'));
    assert.ok(cells.includes('said "hello"'));
  });
});

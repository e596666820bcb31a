import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCsv, toCsv } from '../../src/connectors/csv';

describe('CSV for Salesforce Bulk API 2.0', () => {
  test('quotes only what needs it and reads back what it wrote, commas, quotes and line breaks included', () => {
    const text = toCsv(
      ['PMS_Id__c', 'Name', 'Description'],
      [
        ['P-1', 'Plain', ''],
        ['P-2', 'Comma, inside', 'He said "hi"'],
        ['P-3', 'Two\nlines', '#N/A'],
      ],
    );
    assert.equal(text.split('\n')[0], 'PMS_Id__c,Name,Description');
    assert.match(text, /"Comma, inside","He said ""hi"""/);
    assert.deepEqual(parseCsv(text), [
      { PMS_Id__c: 'P-1', Name: 'Plain', Description: '' },
      { PMS_Id__c: 'P-2', Name: 'Comma, inside', Description: 'He said "hi"' },
      { PMS_Id__c: 'P-3', Name: 'Two\nlines', Description: '#N/A' },
    ]);
  });

  test('CRLF line ends and a missing last line end are read too; an empty body has no rows', () => {
    assert.deepEqual(parseCsv('"sf__Id","sf__Created",PMS_Id__c\r\n01t1,true,P-1\r\n01t2,false,P-2'), [
      { sf__Id: '01t1', sf__Created: 'true', PMS_Id__c: 'P-1' },
      { sf__Id: '01t2', sf__Created: 'false', PMS_Id__c: 'P-2' },
    ]);
    assert.deepEqual(parseCsv(''), []);
    assert.deepEqual(parseCsv('sf__Id,sf__Error\n'), []);
  });
});

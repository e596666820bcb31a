import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findMatch, keyTerms, matcherConfigSchema, similarity } from '../../src/domain/demandMatcher';

const config = matcherConfigSchema.parse({});
const requirement = { id: 'R-1', title: 'Export reports to Excel', description: 'Users want to export report data as Excel files.' };

describe('demand matcher', () => {
  test('normalises case, accents, plurals and synonyms into key terms', () => {
    assert.deepEqual([...keyTerms('Exporting the Reports to XLSX spreadsheets!')].sort(), ['excel', 'export', 'report']);
    assert.deepEqual([...keyTerms('Café CAFE')], ['cafe']);
  });

  const sameNeed = [
    'Excel export for reports',
    'Please let us download our reports as XLSX',
    'Exporting report data into spreadsheets',
    'Need a way to export reports in Excel format',
    'Report export to Excel',
  ];
  for (const wording of sameNeed) {
    test(`"${wording}" matches the Excel export requirement`, () => {
      const match = findMatch({ title: wording, description: '' }, [requirement], config);
      assert.equal(match?.id, 'R-1', JSON.stringify(similarity({ title: wording, description: '' }, requirement)));
      assert.match(match.reason, /shared terms: .*export/);
    });
  }

  test('an unrelated demand matches nothing', () => {
    assert.equal(
      findMatch({ title: 'Single sign-on with Azure AD', description: 'SAML login for our staff' }, [requirement], config),
      undefined,
    );
  });

  test('the best of several candidates wins, and ties go to the smaller id', () => {
    const candidates = [
      { id: 'R-3', title: 'Export reports to Excel', description: '' },
      { id: 'R-2', title: 'Export reports to Excel', description: '' },
      { id: 'R-4', title: 'Dashboard alerts', description: '' },
    ];
    assert.equal(findMatch({ title: 'Excel export of reports', description: '' }, candidates, config)?.id, 'R-2');
  });

  test('configured synonyms join words the built-in list does not know', () => {
    const withSynonyms = matcherConfigSchema.parse({ synonyms: { ledger: 'report' } });
    assert.equal(findMatch({ title: 'Export ledger to Excel', description: '' }, [requirement], withSynonyms)?.id, 'R-1');
  });

  test('the same inputs always give the same score', () => {
    const a = similarity({ title: 'Excel export for reports', description: 'x' }, requirement);
    const b = similarity({ title: 'Excel export for reports', description: 'x' }, requirement);
    assert.deepEqual(a, b);
  });

  // The next two were found by test/unit/demandMatcher.property.test.ts.
  test('a word that names an Object member is a word like any other', () => {
    assert.deepEqual([...keyTerms('Constructor portal for the constructor teams')].sort(), ['constructor', 'portal', 'team']);
    const match = findMatch(
      { title: 'Constructor portal', description: '' },
      [{ id: 'R-1', title: 'Portal for constructors', description: '' }],
      config,
    );
    assert.match(match?.reason ?? '', /shared terms: constructor, portal$/);
  });

  test('when one requirement comes as several texts, the reason names the same one whatever their order', () => {
    const texts = [
      { id: 'R-1', title: 'Excel export', description: '' },
      { id: 'R-1', title: 'Export to Excel', description: '' },
    ];
    const demand = { title: 'Excel export please', description: '' };
    assert.deepEqual(findMatch(demand, texts, config), findMatch(demand, [...texts].reverse(), config));
    assert.match(findMatch(demand, texts, config)!.reason, /with "Excel export"/);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matcherConfigSchema, type MatchCandidate } from '../../src/domain/demandMatcher';
import { intentOf, oppositeIntent } from '../../src/domain/demandIntent';
import { rankOffline } from '../../src/domain/offlineDemandMatcher';
import { stemmedLanguageOf, termsOf } from '../../src/domain/demandText';

const requirement = (id: string, title: string, description = '', demands: string[] = []): MatchCandidate => ({
  id,
  title,
  description,
  terminal: false,
  demands: [title, ...demands].map((t) => ({ title: t, description: '' })),
});
const scoreOf = (title: string, candidate: MatchCandidate, description = '') => rankOffline({ title, description }, [candidate])[0]!;
const { autoLinkAt, suggestAt } = matcherConfigSchema.parse({});

describe('offline demand matcher', () => {
  test('stems each language with its own stemmer and drops its stop words', () => {
    assert.deepEqual(
      termsOf('Exporting the reports', 'en').map((t) => t.stem),
      ['export', 'report'],
    );
    assert.deepEqual(
      termsOf('Die Berichte exportieren', 'de').map((t) => t.stem),
      ['bericht', 'exporti'],
    );
    assert.equal(stemmedLanguageOf('Exporter les rapports vers Excel. Notre service qualité veut retravailler les rapports.'), 'fr');
  });

  test('keeps words of scripts without a stemmer, so Russian import and export stay apart', () => {
    assert.equal(stemmedLanguageOf('Импорт из Excel'), undefined);
    assert.deepEqual(
      termsOf('Импорт из Excel', undefined).map((t) => t.stem),
      ['импорт', 'из', 'excel'],
    );
    const russian = scoreOf('Экспорт в Excel', requirement('R-1', 'Импорт из Excel'));
    assert.ok(russian.score < suggestAt, russian.reason);
  });

  test('Japanese demands in the same words merge', () => {
    const same = scoreOf('Excelへのエクスポート機能', requirement('R-1', 'Excelへのエクスポート機能'));
    assert.ok(same.score >= autoLinkAt, same.reason);
  });

  test('paraphrases of one need link, with the shared words as the reason', () => {
    const excel = requirement('R-1', 'Export reports to Excel', 'Our controllers want the monthly reports in Excel.');
    const linked = scoreOf('Excel export for the report view', excel);
    assert.ok(linked.score >= autoLinkAt, linked.reason);
    assert.match(linked.reason, /shares .*'excel'.*; score \d\.\d\d$/);
  });

  test('abbreviations: SSO is single sign-on, XLSX is Excel', () => {
    const sso = scoreOf('SSO for the operator stations', requirement('R-1', 'Single sign-on for operator stations'));
    assert.ok(sso.score >= autoLinkAt, sso.reason);
    const xlsx = scoreOf('Reports as XLSX download', requirement('R-1', 'Download reports in Excel'));
    assert.ok(xlsx.score >= autoLinkAt, xlsx.reason);
  });

  test('import and export of the same data are different needs', () => {
    const opposite = scoreOf('Import contacts into the portal', requirement('R-1', 'Export contacts from the portal'));
    assert.equal(opposite.score, 0);
    assert.match(opposite.reason, /not the same need: one asks to import, the other to export/);
    assert.equal(scoreOf('Excel import', requirement('R-1', 'Excel export')).score, 0);
  });

  test('remove and add, disable and enable, "do not" and do are different needs, in all four languages', () => {
    const pairs: Array<[string, string]> = [
      ['Remove the Excel export', 'Add an Excel export'],
      ['Disable the alarm sound', 'Enable the alarm sound'],
      ['Do not send e-mail alerts', 'Send e-mail alerts'],
      ['Keine E-Mail-Alarme senden', 'E-Mail-Alarme senden'],
      ['Ne pas envoyer les alertes par e-mail', 'Envoyer les alertes par e-mail'],
      ['No enviar alertas por correo', 'Enviar alertas por correo'],
      ['Stop the automatic report e-mails', 'Automatic report e-mails'],
    ];
    for (const [negative, positive] of pairs) {
      const scored = scoreOf(negative, requirement('R-1', positive));
      assert.equal(scored.score, 0, `${negative} / ${positive}: ${scored.reason}`);
      assert.match(scored.reason, /not the same need: one asks for the opposite/);
    }
  });

  test('"stops" inside a title reports a symptom, not an intent', () => {
    assert.equal(intentOf({ title: 'Laser scanner stops the line', description: '' }).negative, false);
    assert.equal(intentOf({ title: 'Stop the report e-mails', description: '' }).negative, true);
    assert.equal(
      oppositeIntent(intentOf({ title: 'Rechnungsexport', description: '' }), intentOf({ title: 'Kontaktimport', description: '' })),
      'one asks to export, the other to import',
    );
  });

  test('the same verb on different things does not link once the product has a few requirements: export invoices / export contacts', () => {
    const portal = [
      requirement('R-1', 'Export contacts from the support portal', 'We want the contact list as CSV.'),
      requirement('R-2', 'Support portal hotline around the clock', 'The support hotline closes at 5 pm.'),
      requirement('R-3', 'Ticket status e-mails from the support portal', 'Notify us when a ticket changes.'),
    ];
    const [best] = rankOffline(
      { title: 'Export invoices from the support portal', description: 'Accounting wants all invoices of a year.' },
      portal,
    );
    assert.ok(best!.score < autoLinkAt, best!.reason);
  });

  test('one shared word alone is weak evidence and stays below the suggestion tier', () => {
    const scored = scoreOf('Contract with weekend coverage', requirement('R-1', 'Calibration in the contract'));
    assert.ok(scored.score < suggestAt, scored.reason);
  });

  test('a requirement is compared with the centre of its demands, so no single odd demand drags others in (no chaining)', () => {
    // Linked long ago: "Export contacts" wording on an import requirement would, compared one by one, pull in exports.
    const imports = requirement('R-1', 'Import contacts from CSV', '', [
      'Contact import from a CSV file',
      'Upload contacts as CSV',
      'Contacts CSV',
    ]);
    const exportDemand = scoreOf('Contacts CSV list', imports);
    const centreOnly = rankOffline({ title: 'Contacts CSV list', description: '' }, [imports])[0]!;
    assert.equal(exportDemand.score, centreOnly.score);
    assert.ok(exportDemand.score < 1, 'the best single demand ("Contacts CSV") would be nearly identical; the centre is not');
  });

  test('configured synonyms join words the built-in ones do not know', () => {
    const ledger = rankOffline({ title: 'Export ledger to Excel', description: '' }, [requirement('R-1', 'Export reports to Excel')], {
      ledger: 'reports',
    })[0]!;
    assert.equal(ledger.score, 1);
  });

  test('a word that names an Object member is a word like any other', () => {
    const scored = scoreOf('Constructor portal', requirement('R-1', 'Portal for constructors'));
    assert.match(scored.reason, /'constructor'/);
  });

  test('the legacy threshold is read as autoLinkAt, and suggestAt never lies above it', () => {
    const legacy = matcherConfigSchema.parse({ threshold: 0.15 });
    assert.deepEqual([legacy.autoLinkAt, legacy.suggestAt, legacy.legacyThreshold], [0.15, 0.15, true]);
    assert.equal(matcherConfigSchema.safeParse({ autoLinkAt: 0.3, suggestAt: 0.5 }).success, false);
    assert.deepEqual(matcherConfigSchema.parse({ autoLinkAt: 0.6, threshold: 0.1 }).autoLinkAt, 0.6);
  });
});

describe('offline demand matcher on bad input', () => {
  const excel = requirement('R-1', 'Export reports to Excel');
  const cases: Array<[string, string, string]> = [
    ['an empty demand', '', ''],
    ['only emoji', '😀🎉 👍🏽', '🚀'],
    ['only control characters', '\u0000\u0007\u001b\u0008\u007f', '\u0000'],
  ];
  for (const [name, title, description] of cases) {
    test(`${name} scores 0 with a reason saying it has no words`, () => {
      const scored = scoreOf(title, excel, description);
      assert.deepEqual(
        [scored.score, scored.reason],
        [0, 'the demand has no words to compare (only symbols, emoji or control characters)'],
      );
    });
  }

  test('100,000 characters are read up to the limit and still match', () => {
    const long = `Export reports to Excel ${'please '.repeat(15_000)}`;
    assert.equal(long.length > 100_000, true);
    const scored = scoreOf(long.slice(0, 300), excel, long);
    assert.ok(scored.score >= autoLinkAt, scored.reason);
  });

  test('control characters inside words do not hide them', () => {
    const scored = scoreOf('Export\u0000 reports\u0007 to Excel', excel);
    assert.equal(scored.score, 1, scored.reason);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { matcherConfigSchema, type MatchCandidate } from '../../src/domain/demandMatcher';
import { compoundParts, oneTypoApart, typoCanonicals } from '../../src/domain/demandTermVariants';
import { rankOffline } from '../../src/domain/offlineDemandMatcher';

const requirement = (id: string, title: string, description = ''): MatchCandidate => ({
  id,
  title,
  description,
  terminal: false,
  demands: [{ title, description: '' }],
});
const { autoLinkAt, suggestAt } = matcherConfigSchema.parse({});

describe('typos and compounds in the offline matcher', () => {
  test('two swapped neighbouring letters and a doubled letter written once are typos', () => {
    assert.ok(oneTypoApart('reprot', 'report'));
    assert.ok(oneTypoApart('dashbaord', 'dashboard'));
    assert.ok(oneTypoApart('overcurent', 'overcurrent'));
    assert.ok(oneTypoApart('overcurrent', 'overcurent'));
  });

  test('any other one-letter difference, a short word or a number is not a typo: contact is not contract', () => {
    assert.ok(!oneTypoApart('contact', 'contract'));
    assert.ok(!oneTypoApart('sensor', 'censor'));
    assert.ok(!oneTypoApart('mute', 'mtue'));
    assert.ok(!oneTypoApart('v2310', 'v2301'));
    assert.ok(!oneTypoApart('report', 'report'));
  });

  test('typo variants are compared as one term, whatever order the vocabulary comes in', () => {
    const forward = typoCanonicals(['report', 'reprot', 'excel']);
    const backward = typoCanonicals(['excel', 'reprot', 'report']);
    assert.deepEqual([...forward].sort(), [...backward].sort());
    assert.equal(forward.get('reprot'), forward.get('report'));
    assert.equal(forward.get('excel'), 'excel');
  });

  test('a misspelt demand links to the requirement it means', () => {
    const candidates = [
      requirement('R-1', 'Export shift reports to Excel'),
      requirement('R-2', 'Audit trail as signed PDF'),
      requirement('R-3', 'Keep archive data for ten years'),
    ];
    const [best] = rankOffline({ title: 'Shift reprots to excel', description: '' }, candidates);
    assert.equal(best!.id, 'R-1');
    assert.ok(best!.score >= autoLinkAt, best!.reason);
  });

  test('a German compound counts its parts that other texts use: Tagesbericht shares "bericht"', () => {
    const known = new Set(['bericht', 'tag', 'kalibrier', 'vertrag']);
    assert.deepEqual(compoundParts('tagesbericht', known), ['bericht']);
    assert.deepEqual(compoundParts('wartungsvertrag', known), ['vertrag']);
    assert.deepEqual(compoundParts('bericht', known), [], 'a word is not a compound of itself');
  });

  test('German compounds match their parts: "Bestand" reaches "Lagerbestand", English words are never split', () => {
    const stock = requirement('R-1', 'Warnung, wenn der Lagerbestand zu niedrig ist');
    const german = rankOffline({ title: 'Der Bestand ist zu niedrig', description: '' }, [stock])[0]!;
    const without = rankOffline({ title: 'Der Füllstand ist zu niedrig', description: '' }, [stock])[0]!;
    assert.ok(german.score > without.score, `${german.reason} / ${without.reason}`);
    const english = rankOffline({ title: 'Overvoltage fault when braking', description: '' }, [
      requirement('R-1', 'Voltage measurement on the inverter'),
    ])[0]!;
    assert.ok(english.score < suggestAt, english.reason);
  });
});

describe('rarity in the offline matcher', () => {
  test('a word many requirements of the product share weighs less than one a single requirement uses, however often it is repeated there', () => {
    const repeated: MatchCandidate = {
      ...requirement('R-1', 'Modbus RTU on the gateway'),
      demands: Array.from({ length: 6 }, () => ({ title: 'Modbus RTU on the gateway', description: '' })),
    };
    const candidates = [
      repeated,
      requirement('R-2', 'Gateway buffers data during outages'),
      requirement('R-3', 'Gateway sends data over MQTT'),
    ];
    const ranked = rankOffline({ title: 'Modbus RTU master', description: 'The gateway should poll our old meters.' }, candidates);
    assert.equal(ranked[0]!.id, 'R-1');
    assert.ok(ranked[0]!.score >= autoLinkAt, ranked[0]!.reason);
    const generic = rankOffline({ title: 'Gateway with a display', description: '' }, candidates);
    assert.ok(
      generic.every((scored) => scored.score < suggestAt),
      generic.map((s) => s.reason).join(' / '),
    );
  });
});

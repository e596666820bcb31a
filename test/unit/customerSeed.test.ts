import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { crmAccountSchema, crmDemandSchema, crmOrderSchema } from '../../src/domain/crmDemand';
import { accountInputSchema, contactInputSchema } from '../../src/sandbox/crmCustomerApi';
import { companyDomain, demandThemes, generateCustomers, referencedProductCount, unknownSku } from '../../src/sandbox/crmCustomerSeed';
import { defaultCatalogueSeed, generateProducts } from '../../src/sandbox/seed';

describe('generateCustomers', () => {
  const customers = generateCustomers(7);
  const { accounts, contacts, demands, orders } = customers;
  const themeOf = new Map(demandThemes.flatMap((theme) => theme.wordings.map((wording) => [wording.title, theme] as const)));

  test('is deterministic for a seed and differs between seeds', () => {
    assert.deepEqual(generateCustomers(7), customers);
    assert.notDeepEqual(generateCustomers(8).demands, demands);
    assert.deepEqual(generateCustomers(), generateCustomers(), 'the default seed is fixed too');
  });

  test('about 40 accounts with 2-3 contacts each, about 120 demands and 200 orders, with sequential ids', () => {
    assert.equal(accounts.length, 40);
    assert.ok(contacts.length >= 80 && contacts.length <= 120, `${contacts.length} contacts`);
    for (const account of accounts) {
      const own = contacts.filter((contact) => contact.accountId === account.id).length;
      assert.ok(own >= 2 && own <= 3, `${account.id} has ${own} contacts`);
    }
    assert.ok(demands.length >= 95 && demands.length <= 140, `${demands.length} demands`);
    assert.equal(orders.length, 200);
    assert.deepEqual(accounts.map((a) => a.id).slice(0, 2), ['A-0001', 'A-0002']);
    assert.equal(new Set(demands.map((d) => d.id)).size, demands.length);
    assert.deepEqual(
      orders.map((o) => o.id),
      orders.map((_, i) => `O-${String(i + 1).padStart(4, '0')}`),
    );
  });

  test('accounts mix all segments with annual values from 5k to 2M EUR, and pass the CRM and bridge checks', () => {
    assert.deepEqual([...new Set(accounts.map((a) => a.segment))].sort(), ['enterprise', 'mid-market', 'smb']);
    for (const account of accounts) {
      assert.ok(account.annualValue >= 5_000 && account.annualValue <= 2_000_000, `${account.id}: ${account.annualValue}`);
      assert.ok(accountInputSchema.safeParse(account).success, `${account.id} is valid for PUT /api/accounts`);
      assert.ok(crmAccountSchema.safeParse(account).success);
    }
    assert.equal(new Set(accounts.map((a) => a.name)).size, accounts.length, 'names are unique');
  });

  test("contacts have realistic names, firstname.lastname e-mails at their company's domain and German phone numbers", () => {
    for (const contact of contacts) {
      const account = accounts.find((a) => a.id === contact.accountId);
      assert.ok(account, `${contact.id} belongs to a seeded account`);
      assert.match(contact.name, /^\S+ \S+$/u);
      assert.match(contact.email, /^[a-z]+\.[a-z]+@[a-z0-9-]+\.example$/, contact.email);
      assert.ok(contact.email.endsWith(`@${companyDomain(account.name)}`), contact.email);
      assert.match(contact.phone, /^\+49 \d{2,3} \d{6,7}$/);
      assert.ok(contactInputSchema.safeParse(contact).success, `${contact.id} is valid for PUT /api/contacts`);
    }
    assert.equal(companyDomain('Hansa Kühltechnik GmbH'), 'hansa-kuehltechnik.example');
    assert.equal(companyDomain('Gdańsk Shipyard Services Sp. z o.o.'), 'gdansk-shipyard-services.example');
  });

  test('several accounts ask for the same thing in different words: at least six clusters of 3-10 accounts', () => {
    const clusters = demandThemes.map((theme) => {
      const asked = demands.filter((d) => themeOf.get(d.title) === theme);
      return { theme, accounts: new Set(asked.map((d) => d.accountId)).size, wordings: new Set(asked.map((d) => d.title)).size, asked };
    });
    const large = clusters.filter((c) => c.accounts >= 3);
    assert.ok(large.length >= 6, `${large.length} multi-account clusters`);
    for (const { theme, accounts: askers, wordings, asked } of clusters) {
      assert.ok(askers >= 3 && askers <= 10, `${theme.key}: ${askers} accounts`);
      assert.equal(askers, asked.length, `${theme.key}: each account asks once`);
      assert.ok(wordings >= 3, `${theme.key}: asked in ${wordings} wordings`);
      assert.equal(new Set(asked.map((d) => d.skus[0])).size, 1, `${theme.key}: all about one product`);
      assert.ok(asked.every((d) => d.kind === theme.kind));
    }
    const excel = demands.filter((d) => themeOf.get(d.title)?.key === 'excel-export').map((d) => d.title);
    assert.ok(excel.length >= 3 && new Set(excel).size >= 3, `excel export asked as: ${[...new Set(excel)].join(' / ')}`);
  });

  test('about 30 one-off demands and exactly two naming the unknown SKU-999999', () => {
    const unknown = demands.filter((d) => d.skus.includes(unknownSku));
    assert.equal(unknown.length, 2);
    const oneOffs = demands.filter((d) => !themeOf.has(d.title) && !d.skus.includes(unknownSku));
    assert.equal(oneOffs.length, 30);
    assert.equal(new Set(oneOffs.map((d) => d.title)).size, 30, 'one-offs are each asked once');
  });

  test('every SKU named, except SKU-999999, is within the default product seed', () => {
    const known = new Set(generateProducts(referencedProductCount, defaultCatalogueSeed).map((p) => p.sku));
    const named = [...demands.flatMap((d) => d.skus), ...orders.flatMap((o) => o.lines.map((l) => l.sku))];
    assert.deepEqual([...new Set(named.filter((sku) => !known.has(sku)))], [unknownSku]);
    assert.ok(named.every((sku) => sku === unknownSku || Number(sku.slice(4)) <= 60));
  });

  test('demands and orders pass the bridge schemas, contacts belong to the demand account, and ids follow time', () => {
    for (const demand of demands) {
      const result = crmDemandSchema.safeParse({ ...demand, updatedAt: '2025-07-01T00:00:00.000Z' });
      assert.ok(result.success, `${demand.id}: ${result.error?.message}`);
      if (demand.contactId !== null) {
        assert.equal(contacts.find((c) => c.id === demand.contactId)?.accountId, demand.accountId, `${demand.id}: contact of its account`);
      }
    }
    for (const order of orders) {
      const result = crmOrderSchema.safeParse({ ...order, updatedAt: '2025-07-01T00:00:00.000Z' });
      assert.ok(result.success, `${order.id}: ${result.error?.message}`);
      assert.equal(new Set(order.lines.map((l) => l.sku)).size, order.lines.length, `${order.id}: one line per product`);
    }
    const created = demands.map((d) => d.createdAt);
    assert.deepEqual([...created].sort(), created, 'demand ids are in creation order');
    assert.ok(orders.every((o) => o.orderedAt >= '2024-07-01' && o.orderedAt < '2025-07-01'));
  });

  test('no contact name, e-mail or phone appears in demand text, which the bridge copies into the PMS', () => {
    const texts = demands.map((d) => `${d.title} ${d.description}`).join('\n');
    for (const contact of contacts) {
      for (const value of [contact.name, contact.email, contact.phone]) assert.ok(!texts.includes(value), `${contact.id}: ${value}`);
    }
  });

  test('refuses a seed that is not a whole number', () => {
    assert.throws(() => generateCustomers(1.5), /seed must be a whole number/);
  });
});

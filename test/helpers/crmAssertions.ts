import assert from 'node:assert/strict';
import { defaultFieldMapping, fieldMappingSchema, mapProduct } from '../../src/domain/fieldMapping';
import { validatePmsProduct } from '../../src/domain/validation';
import type { TestSandbox } from './sandbox';

const mapping = fieldMappingSchema.parse(defaultFieldMapping);

/** Every valid PMS product is in the CRM exactly once with every mapped field equal; answers how many. */
export function assertCrmMatchesPms(sandbox: TestSandbox): number {
  let valid = 0;
  const crmById = new Map(sandbox.crm.store.all().map((record) => [record.externalId, record]));
  for (const raw of sandbox.pmsProducts()) {
    const validated = validatePmsProduct(raw);
    if (!validated.ok || raw.deleted) continue;
    valid += 1;
    const record = crmById.get(raw.id);
    assert.ok(record, `${raw.id} is missing in the CRM`);
    assert.deepEqual(
      Object.fromEntries(Object.keys(mapping).map((field) => [field, record.properties[field] ?? null])),
      mapProduct(validated.product, mapping),
      `${raw.id} differs in the CRM`,
    );
  }
  assert.equal(sandbox.crm.store.count(), valid, 'the CRM holds exactly one record per valid PMS product');
  return valid;
}

import { positionOf, type ChangeCursor } from '../shared/changeCursor';
import type { PlannedWrite, PagePlan } from '../shared/productSyncActivityTypes';
import type { SyncMode } from '../shared/syncModes';
import { contentHash } from './contentHash';
import { fieldLimitProblem, type FieldLimits } from './fieldLimits';
import { mapProduct, MappingError, type FieldMapping } from './fieldMapping';
import type { RawPmsProduct } from './pmsProduct';
import { validatePmsProduct } from './validation';

/**
 * Planning one page of productSync: which PMS records are valid and mapped, and what the CRM needs
 * for each (create, update, archive, or nothing). Pure: the activity reads the records and the
 * CRM's current state, this decides.
 */

/** A PMS record ready to be compared with the CRM: a mapped product, or a deletion. */
export type Candidate =
  | { kind: 'deleted'; externalId: string; position: ChangeCursor }
  | {
      kind: 'product';
      externalId: string;
      position: ChangeCursor;
      properties: PlannedWrite['properties'];
      discontinued: boolean;
    };

/** What the CRM holds for a record, as far as the diff needs it. */
export interface CurrentRecord {
  properties: PlannedWrite['properties'];
  archived: boolean;
}

/**
 * A source that repeats a record within a page (a paging bug, seen in the wild) would otherwise
 * have it written, counted and reported twice; the last copy is the newest.
 */
function latestPerId(records: RawPmsProduct[]): RawPmsProduct[] {
  const last = new Map(records.map((raw, index) => [raw.id, index]));
  return records.filter((raw, index) => last.get(raw.id) === index);
}

/**
 * Validates and maps raw PMS records; what cannot be validated or mapped, or holds a text longer
 * than the target takes (`limits`), is rejected with the reason before anything is written.
 */
export function toCandidates(
  records: RawPmsProduct[],
  mapping: FieldMapping,
  limits?: FieldLimits,
): { candidates: Candidate[]; rejected: PagePlan['rejected'] } {
  const rejected: PagePlan['rejected'] = [];
  const candidates: Candidate[] = [];
  for (const raw of latestPerId(records)) {
    const position = positionOf(raw);
    if (raw.deleted === true) {
      candidates.push({ kind: 'deleted', externalId: raw.id, position });
      continue;
    }
    const validated = validatePmsProduct(raw);
    if (!validated.ok) {
      rejected.push({ id: raw.id, reason: `invalid PMS record: ${validated.reason}`, position });
      continue;
    }
    try {
      const properties = mapProduct(validated.product, mapping);
      const tooLong = fieldLimitProblem(properties, limits);
      if (tooLong) {
        rejected.push({ id: raw.id, reason: `the target would refuse it: ${tooLong}`, position });
        continue;
      }
      candidates.push({
        kind: 'product',
        externalId: raw.id,
        position,
        properties,
        discontinued: validated.product.lifecycle === 'discontinued',
      });
    } catch (error) {
      if (!(error instanceof MappingError)) throw error;
      rejected.push({ id: raw.id, reason: `cannot map: ${error.message}`, position });
    }
  }
  return { candidates, rejected };
}

interface DiffResult {
  writes: PlannedWrite[];
  unchanged: number;
  skipped: number;
  /** Set when the byte budget cut the page: the position of the last record it covers. */
  cutAt?: ChangeCursor;
}

/**
 * Decides, per record, what the CRM needs: create, update, archive, or nothing. In upsert mode a
 * deletion is ignored (skipped); update-only never creates; mirror archives deleted and
 * discontinued products. Stops before the write that would pass the byte budget.
 */
export function diffPage(
  candidates: Candidate[],
  current: Map<string, CurrentRecord>,
  mode: SyncMode,
  ownedFields: string[],
  maxBytes: number,
): DiffResult {
  const result: DiffResult = { writes: [], unchanged: 0, skipped: 0 };
  let bytes = 0;
  let previous: ChangeCursor | undefined;
  for (const candidate of candidates) {
    const existing = current.get(candidate.externalId);
    const write = plannedWrite(candidate, existing, mode, ownedFields);
    if (write === 'skip') result.skipped += 1;
    else if (write === 'unchanged') result.unchanged += 1;
    else {
      const size = Buffer.byteLength(JSON.stringify(write));
      if (bytes + size > maxBytes && previous) {
        result.cutAt = previous;
        return result;
      }
      bytes += size;
      result.writes.push(write);
    }
    previous = candidate.position;
  }
  return result;
}

function plannedWrite(
  candidate: Candidate,
  existing: CurrentRecord | undefined,
  mode: SyncMode,
  ownedFields: string[],
): PlannedWrite | 'skip' | 'unchanged' {
  const base = { externalId: candidate.externalId, position: candidate.position };
  if (candidate.kind === 'deleted') {
    if (mode !== 'mirror' || !existing) return 'skip';
    if (existing.archived) return 'unchanged';
    return { ...base, properties: {}, archived: true, action: 'archive', hash: contentHash(existing.properties, true, ownedFields) };
  }
  const archived = mode === 'mirror' && candidate.discontinued;
  if (!existing && (mode === 'update-only' || archived)) return 'skip';
  const hash = contentHash(candidate.properties, archived, ownedFields);
  if (existing && contentHash(existing.properties, existing.archived, ownedFields) === hash) return 'unchanged';
  const action = !existing ? 'create' : archived && !existing.archived ? 'archive' : 'update';
  return { ...base, properties: candidate.properties, archived, action, hash };
}

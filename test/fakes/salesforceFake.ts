import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * A fake of the Salesforce REST API (v61.0) for the parts the connector uses. Sources:
 * - sObject Collections upsert by external id, up to 200 records, allOrNone, ordered UpsertResults:
 *   https://developer.salesforce.com/docs/platform/api-rest/guide/resources-composite-sobjects-collections-upsert.html
 * - create/update collections: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections.htm
 * - query with nextRecordsUrl paging and Sforce-Query-Options batchSize (200-2000):
 *   https://developer.salesforce.com/docs/platform/api-rest/guide/resources-query.html
 * - deleted records: https://developer.salesforce.com/docs/platform/api-rest/guide/resources-getdeleted.html
 * - 403 REQUEST_LIMIT_EXCEEDED and Sforce-Limit-Info:
 *   https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/errorcodes.htm,
 *   https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/headers_api_usage.htm
 * - PricebookEntry: Pricebook2Id and Product2Id are create-only:
 *   https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_objects_pricebookentry.htm
 * - Case (Subject, Description, Type, Status, Priority Low/Medium/High, AccountId, ContactId):
 *   https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_case.htm
 * - Account (Name, Industry, AnnualRevenue), Contact (Name compound of FirstName and LastName, read-only):
 *   https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contact.htm
 * - Order (AccountId, EffectiveDate as YYYY-MM-DD, Status Draft/Activated) and OrderItem (OrderId, Product2Id, Quantity):
 *   https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_order.htm
 * - Bulk API 2.0 ingest jobs (create, upload CSV, UploadComplete, poll, successful/failed/unprocessed
 *   results as CSV with sf__Id, sf__Created, sf__Error; #N/A sets null, an empty cell leaves a field):
 *   https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/create_job.htm
 *   https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/upload_job_data.htm
 *   https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/get_job_successful_results.htm
 *   https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/datafiles_prepare_csv.htm
 * - URI and headers together take at most 16,384 bytes: 414 URI Too Long when the URI alone passes it, 431
 *   Request Header Fields Too Large when both do: https://help.salesforce.com/s/articleView?id=000386264&type=1
 * - Bulk API 2.0 CSV: a field value of #N/A sets the field to null (quoted or not; no escape is documented):
 *   https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/datafiles_csv_valid_record_rows.htm
 * - sObject describe, `fields[].name`: https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_sobject_describe.htm
 * Only the SOQL this connector sends is understood: SELECT fields FROM type [WHERE a AND b ...]
 * [ORDER BY f, g] with conditions `f IN ('a','b')`, `f != null`, `f >= instant`, `f = 'x'`; COUNT().
 */

type SfRecord = Record<string, unknown> & { Id: string; SystemModstamp: string };

export interface SalesforceFakeOptions {
  clientId: string;
  clientSecret: string;
  /** API requests allowed in the rolling 24 hours. */
  dailyApiLimit?: number;
  /** Custom fields that exist on each object besides the standard ones. */
  customFields?: Record<string, string[]>;
  /** Job-state reads a Bulk API job stays UploadComplete/InProgress for before it completes. */
  bulkPollsUntilDone?: number;
  /** Bytes of URI and headers together a request may carry (Salesforce: 16,384). */
  requestHeadBytes?: number;
  /** Custom fields that exist but are not marked External ID (the others are). */
  plainCustomFields?: string[];
  /** Whether the integration user may use Bulk API 2.0 (default true). */
  bulkApiEnabled?: boolean;
}

export interface BulkJob {
  id: string;
  object: string;
  externalIdFieldName: string;
  state: 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';
  csv: string;
  polls: number;
  errorMessage?: string;
  successful: Array<Record<string, string>>;
  failed: Array<Record<string, string>>;
  unprocessed: Array<Record<string, string>>;
}

export interface SalesforceFake {
  url: string;
  records: Map<string, Map<string, SfRecord>>;
  requests: string[];
  tokensIssued(): number;
  expireTokens(): void;
  setApiUsage(used: number): void;
  /** Deletes a record as a user would, so it shows in the deleted-records resource. */
  deleteRecord(type: string, id: string): void;
  /** Creates a record as a Salesforce user would; returns its Id. */
  createRecord(type: string, fields: Record<string, unknown>): string;
  /** Edits a record as a Salesforce user would (SystemModstamp moves on). */
  updateRecord(type: string, id: string, fields: Record<string, unknown>): void;
  /** Records whose Name is in this set fail in a collection request (per-record error). */
  failNames: Set<string>;
  bulkJobs: Map<string, BulkJob>;
  /** A Bulk API job processes at most this many rows; the rest come back as unprocessed. */
  bulkRowLimit: { value: number };
  /** Writes to these record Ids fail with this status code, e.g. UNABLE_TO_LOCK_ROW or FIELD_CUSTOM_VALIDATION_EXCEPTION. */
  failIds: Map<string, string>;
  malformNext(): void;
  standardPricebookId: string;
  close(): Promise<void>;
}

const standardFields: Record<string, string[]> = {
  Product2: ['Id', 'Name', 'ProductCode', 'Description', 'Family', 'IsActive', 'SystemModstamp', 'CreatedDate'],
  PricebookEntry: ['Id', 'Pricebook2Id', 'Product2Id', 'UnitPrice', 'IsActive', 'UseStandardPrice', 'CurrencyIsoCode', 'SystemModstamp'],
  Case: ['Id', 'Subject', 'Description', 'Type', 'Status', 'Priority', 'AccountId', 'ContactId', 'SystemModstamp'],
  Account: ['Id', 'Name', 'Industry', 'AnnualRevenue', 'SystemModstamp'],
  Contact: ['Id', 'FirstName', 'LastName', 'Name', 'Email', 'Phone', 'AccountId', 'SystemModstamp'],
  Order: ['Id', 'AccountId', 'EffectiveDate', 'Status', 'SystemModstamp'],
  OrderItem: ['Id', 'OrderId', 'Product2Id', 'Quantity', 'UnitPrice', 'SystemModstamp'],
};
const prefixes: Record<string, string> = {
  Product2: '01t',
  PricebookEntry: '01u',
  Case: '500',
  Account: '001',
  Contact: '003',
  Order: '801',
  OrderItem: '802',
};
const createOnly: Record<string, string[]> = { PricebookEntry: ['Pricebook2Id', 'Product2Id'] };
const base = '/services/data/v61.0';

const sfError = (errorCode: string, message: string, fields: string[] = []) => ({ statusCode: errorCode, message, fields });
const sfTime = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

export async function startSalesforceFake(options: SalesforceFakeOptions): Promise<SalesforceFake> {
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024, http: { maxHeaderSize: 64 * 1024 } });
  const records = new Map<string, Map<string, SfRecord>>(Object.keys(standardFields).map((t) => [t, new Map()]));
  const deleted: Array<{ type: string; id: string; deletedDate: string }> = [];
  const requests: string[] = [];
  const failNames = new Set<string>();
  const failIds = new Map<string, string>();
  const tokens = new Set<string>();
  const queryCursors = new Map<string, SfRecord[]>();
  let issued = 0;
  let apiUsed = 0;
  let counter = 0;
  let lastStamp = 0;
  let malformed = false;
  const dailyLimit = options.dailyApiLimit ?? 15_000;
  const fieldsOf = (type: string) => new Set([...(standardFields[type] ?? []), ...(options.customFields?.[type] ?? [])]);
  const stamp = () => sfTime((lastStamp = Math.max(Date.now(), lastStamp)));
  const newId = (type: string) => `${prefixes[type] ?? '0XX'}${String(++counter).padStart(12, '0')}AAA`;
  const standardPricebookId = '01s000000000001AAA';

  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  app.post('/services/oauth2/token', async (request, reply) => {
    const form = request.body as Record<string, string>;
    if (form.grant_type !== 'client_credentials' || form.client_id !== options.clientId || form.client_secret !== options.clientSecret) {
      return reply.code(400).send({ error: 'invalid_client', error_description: 'invalid client credentials' });
    }
    const token = `00D!sf-token-${++issued}`;
    tokens.add(token);
    return { access_token: token, instance_url: `http://${request.headers.host}`, token_type: 'Bearer', issued_at: String(Date.now()) };
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const headBytes = options.requestHeadBytes ?? 16_384;
    const uriBytes = Buffer.byteLength(request.url);
    if (uriBytes > headBytes) return reply.code(414).send('URI Too Long');
    const headerBytes = request.raw.rawHeaders.reduce((sum, part) => sum + Buffer.byteLength(part) + 2, 0);
    if (uriBytes + headerBytes > headBytes) return reply.code(431).send('Request Header Fields Too Large');
    if (request.url.startsWith('/services/oauth2/')) return;
    requests.push(`${request.method} ${request.url.split('?')[0]}`);
    const header = request.headers.authorization ?? '';
    if (!header.startsWith('Bearer ') || !tokens.has(header.slice(7))) {
      return reply.code(401).send([{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }]);
    }
    if (apiUsed >= dailyLimit)
      return reply.code(403).send([{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }]);
    apiUsed += 1;
    void reply.header('sforce-limit-info', `api-usage=${apiUsed}/${dailyLimit}`);
    if (malformed) {
      malformed = false;
      return reply.code(200).send({ unexpected: 'shape' });
    }
  });

  function unknownField(type: string, record: Record<string, unknown>): string | undefined {
    const known = fieldsOf(type);
    return Object.keys(record).find((k) => k !== 'attributes' && !known.has(k));
  }

  function validate(type: string, record: Record<string, unknown>, existing: SfRecord | undefined) {
    const merged = { ...existing, ...record };
    if (type === 'Product2' && (typeof merged.Name !== 'string' || merged.Name === ''))
      return [sfError('REQUIRED_FIELD_MISSING', 'Required fields are missing: [Name]', ['Name'])];
    if (typeof merged.Name === 'string' && merged.Name.length > 255)
      return [sfError('STRING_TOO_LONG', 'Product Name: data value too large', ['Name'])];
    if (typeof merged.Name === 'string' && failNames.has(merged.Name))
      return [sfError('UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record')];
    const failure = existing && failIds.get(existing.Id);
    if (failure)
      return [
        sfError(
          failure,
          failure === 'UNABLE_TO_LOCK_ROW' ? 'unable to obtain exclusive access to this record' : 'A validation rule refused the change',
        ),
      ];
    if (existing) {
      const bad = (createOnly[type] ?? []).filter((f) => f in record && record[f] !== existing[f]);
      if (bad.length > 0) return [sfError('INVALID_FIELD_FOR_INSERT_UPDATE', `Unable to create/update fields: ${bad.join(', ')}.`, bad)];
    }
    if (type === 'PricebookEntry' && !existing && (!merged.Pricebook2Id || !merged.Product2Id))
      return [sfError('REQUIRED_FIELD_MISSING', 'Required fields are missing: [Pricebook2Id, Product2Id]')];
    return [];
  }

  function save(type: string, record: Record<string, unknown>, existing: SfRecord | undefined): SfRecord {
    const fields = { ...record };
    delete fields.attributes;
    const now = stamp();
    const saved: SfRecord = existing
      ? {
          ...existing,
          ...fields,
          SystemModstamp: Object.keys(fields).some((k) => existing[k] !== fields[k]) ? now : existing.SystemModstamp,
        }
      : { ...(type === 'Product2' ? { IsActive: false } : {}), ...fields, Id: newId(type), SystemModstamp: now, CreatedDate: now };
    // Contact.Name is compound and read-only: Salesforce derives it from FirstName and LastName.
    if (type === 'Contact') saved.Name = [saved.FirstName, saved.LastName].filter(Boolean).join(' ');
    records.get(type)!.set(saved.Id, saved);
    return saved;
  }

  const tooMany = (reply: FastifyReply, count: number) =>
    reply
      .code(400)
      .send([
        { message: `The number of records in the collection, ${count}, exceeds the maximum of 200.`, errorCode: 'EXCEEDED_ID_LIMIT' },
      ]);

  // Upsert by external id (v46+): PATCH /composite/sobjects/{type}/{externalIdField}
  app.patch(`${base}/composite/sobjects/:type/:field`, async (request, reply) => {
    const { type, field } = request.params as { type: string; field: string };
    const body = request.body as { allOrNone?: boolean; records: Array<Record<string, unknown>> };
    if (!records.has(type)) return reply.code(404).send([{ message: `The requested resource does not exist`, errorCode: 'NOT_FOUND' }]);
    if (!fieldsOf(type).has(field))
      return reply.code(400).send([{ message: `No such column '${field}' on sobject of type ${type}`, errorCode: 'INVALID_FIELD' }]);
    if (body.records.length > 200) return tooMany(reply, body.records.length);
    for (const record of body.records) {
      if ((record.attributes as { type?: string } | undefined)?.type !== type)
        return reply.code(400).send([{ message: 'Each record needs attributes.type', errorCode: 'INVALID_TYPE' }]);
      const unknown = unknownField(type, record);
      if (unknown)
        return reply.code(400).send([{ message: `No such column '${unknown}' on sobject of type ${type}`, errorCode: 'INVALID_FIELD' }]);
    }
    return body.records.map((record) => {
      const existing = [...records.get(type)!.values()].find((r) => r[field] === record[field]);
      const errors = validate(type, record, existing);
      if (errors.length > 0) return { id: existing?.Id ?? null, success: false, errors, created: false };
      const saved = save(type, record, existing);
      return { id: saved.Id, success: true, errors: [], created: !existing };
    });
  });

  // Create (POST) and update by Id (PATCH) collections.
  app.post(`${base}/composite/sobjects`, async (request, reply) => {
    const body = request.body as { records: Array<Record<string, unknown>> };
    if (body.records.length > 200) return tooMany(reply, body.records.length);
    return body.records.map((record) => {
      const type = (record.attributes as { type: string }).type;
      const errors = validate(type, record, undefined);
      return errors.length > 0 ? { id: null, success: false, errors } : { id: save(type, record, undefined).Id, success: true, errors: [] };
    });
  });
  app.patch(`${base}/composite/sobjects`, async (request, reply) => {
    const body = request.body as { records: Array<Record<string, unknown>> };
    if (body.records.length > 200) return tooMany(reply, body.records.length);
    return body.records.map((record) => {
      const type = (record.attributes as { type: string }).type;
      const existing = records.get(type)?.get(record.Id as string);
      if (!existing) return { id: record.Id, success: false, errors: [sfError('ENTITY_IS_DELETED', 'entity is deleted')] };
      const errors = validate(type, record, existing);
      return errors.length > 0
        ? { id: existing.Id, success: false, errors }
        : { id: save(type, record, existing).Id, success: true, errors: [] };
    });
  });

  function runSoql(soql: string): { count?: number; rows: SfRecord[]; fields: string[]; type: string } {
    const match = /^SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER\s+BY\s+(.+?))?(?:\s+LIMIT\s+(\d+))?$/i.exec(soql.trim());
    if (!match) throw new Error(`unexpected token in ${soql.slice(0, 40)}`);
    const [, fieldList, type, where, orderBy, limit] = match;
    const table = records.get(type!);
    if (!table) throw new Error(`sObject type '${type}' is not supported.`);
    const fields = fieldList!.split(',').map((f) => f.trim());
    const known = fieldsOf(type!);
    const unknown = fields.find((f) => f !== 'COUNT()' && !known.has(f));
    if (unknown) throw new Error(`No such column '${unknown}' on entity '${type}'.`);
    let rows = [...table.values()];
    for (const condition of where ? where.split(/\s+AND\s+/i) : []) {
      const c = /^(\w+)\s*(IN|!=|>=|>|=)\s*(.+)$/i.exec(condition.trim());
      if (!c) throw new Error(`unexpected condition ${condition}`);
      const [, field, op, raw] = c;
      if (op!.toUpperCase() === 'IN') {
        const values = [...raw!.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => m[1]!.replace(/\\(.)/g, '$1'));
        // Salesforce refuses the whole query when an Id filter holds something that cannot be an Id.
        const notAnId = field!.endsWith('Id') ? values.find((v) => !/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/.test(v)) : undefined;
        if (notAnId !== undefined) throw new Error(`invalid ID field: ${notAnId}`);
        rows = rows.filter((r) => values.includes(String(r[field!])));
      } else if (op === '!=' && raw === 'null') rows = rows.filter((r) => r[field!] !== undefined && r[field!] !== null);
      else if (op === '>=' || op === '>') {
        const bound = Date.parse(raw!);
        rows = rows.filter((r) => (op === '>=' ? Date.parse(String(r[field!])) >= bound : Date.parse(String(r[field!])) > bound));
      } else if (op === '=') rows = rows.filter((r) => String(r[field!]) === raw!.replace(/^'|'$/g, ''));
    }
    if (orderBy) {
      const keys = orderBy.split(',').map((k) => k.trim());
      rows.sort((a, b) => {
        for (const key of keys) {
          const x = String(a[key]);
          const y = String(b[key]);
          if (x !== y) return key === 'SystemModstamp' ? Date.parse(x) - Date.parse(y) : x < y ? -1 : 1;
        }
        return 0;
      });
    }
    if (limit) rows = rows.slice(0, Number(limit));
    if (fields[0] === 'COUNT()') return { count: rows.length, rows: [], fields, type: type! };
    return { rows, fields, type: type! };
  }

  function page(all: SfRecord[], fields: string[], type: string, from: number, size: number, cursorId: string) {
    const slice = all.slice(from, from + size).map((r) => ({
      attributes: { type, url: `${base}/sobjects/${type}/${r.Id}` },
      ...Object.fromEntries(fields.map((f) => [f, r[f] ?? null])),
    }));
    const done = from + size >= all.length;
    return { totalSize: all.length, done, ...(done ? {} : { nextRecordsUrl: `${base}/query/${cursorId}-${from + size}` }), records: slice };
  }

  const batchSizeOf = (request: FastifyRequest) => {
    const match = /batchSize=(\d+)/.exec(String(request.headers['sforce-query-options'] ?? ''));
    return Math.min(2000, Math.max(200, match ? Number(match[1]) : 2000));
  };

  app.get(`${base}/query`, async (request, reply) => {
    const { q } = request.query as { q?: string };
    try {
      const result = runSoql(q ?? '');
      if (result.count !== undefined) return { totalSize: result.count, done: true, records: [] };
      const cursorId = `01g${String(queryCursors.size + 1).padStart(15, '0')}`;
      const rows = result.rows.map((r) => ({ ...r }));
      queryCursors.set(cursorId, Object.assign(rows, { fields: result.fields, type: result.type }));
      return page(rows, result.fields, result.type, 0, batchSizeOf(request), cursorId);
    } catch (error) {
      return reply.code(400).send([{ message: (error as Error).message, errorCode: 'MALFORMED_QUERY' }]);
    }
  });
  app.get(`${base}/query/:locator`, async (request, reply) => {
    const [cursorId, from] = (request.params as { locator: string }).locator.split('-');
    const rows = queryCursors.get(cursorId!) as (SfRecord[] & { fields: string[]; type: string }) | undefined;
    if (!rows) return reply.code(400).send([{ message: 'invalid query locator', errorCode: 'INVALID_QUERY_LOCATOR' }]);
    return page(rows, rows.fields, rows.type, Number(from), batchSizeOf(request), cursorId!);
  });

  // ---- Bulk API 2.0 ingest ----

  const bulkJobs = new Map<string, BulkJob>();
  const bulkRowLimit = { value: Number.POSITIVE_INFINITY };
  const booleanFields = new Set(['IsActive', 'UseStandardPrice']);
  const numberFields = new Set(['UnitPrice', 'Quantity', 'AnnualRevenue']);
  const jobView = (job: BulkJob) => ({
    id: job.id,
    operation: 'upsert',
    object: job.object,
    externalIdFieldName: job.externalIdFieldName,
    state: job.state,
    contentType: 'CSV',
    lineEnding: 'LF',
    apiVersion: 61.0,
    ...(job.errorMessage ? { errorMessage: job.errorMessage } : {}),
    ...(job.state === 'JobComplete'
      ? { numberRecordsProcessed: job.successful.length + job.failed.length, numberRecordsFailed: job.failed.length }
      : {}),
  });
  const csvCell = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
  const csvOf = (header: string[], rows: Array<Record<string, string>>) =>
    [header, ...rows.map((r) => header.map((h) => r[h] ?? ''))].map((row) => row.map(csvCell).join(',')).join('\n') + '\n';

  function parseCsvRows(text: string): Array<Record<string, string>> {
    const rows: string[][] = [];
    let row: string[] = [];
    let value = '';
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (quoted && c === '"' && text[i + 1] === '"') {
        value += '"';
        i++;
      } else if (c === '"') {
        quoted = !quoted;
      } else if (!quoted && c === ',') {
        row.push(value);
        value = '';
      } else if (!quoted && c === '\n') {
        row.push(value);
        rows.push(row);
        row = [];
        value = '';
      } else {
        value += c;
      }
    }
    if (value !== '' || row.length > 0) rows.push([...row, value]);
    const [header, ...data] = rows;
    return header ? data.map((cells) => Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']))) : [];
  }

  /** What Salesforce does once the upload is complete: each row upserted on its own. */
  function processJob(job: BulkJob): void {
    const rows = parseCsvRows(job.csv);
    const header = Object.keys(rows[0] ?? {});
    const unknown = header.find((field) => !fieldsOf(job.object).has(field));
    if (unknown) {
      job.state = 'Failed';
      job.errorMessage = `InvalidBatch : Field name not found : ${unknown}`;
      return;
    }
    rows.forEach((row, index) => {
      if (index >= bulkRowLimit.value) {
        job.unprocessed.push(row);
        return;
      }
      const record: Record<string, unknown> = {};
      for (const [field, raw] of Object.entries(row)) {
        if (raw === '') continue;
        record[field] = raw === '#N/A' ? null : booleanFields.has(field) ? raw === 'true' : numberFields.has(field) ? Number(raw) : raw;
      }
      const existing = [...records.get(job.object)!.values()].find((r) => r[job.externalIdFieldName] === record[job.externalIdFieldName]);
      const errors = validate(job.object, record, existing);
      if (errors.length > 0)
        job.failed.push({ sf__Id: existing?.Id ?? '', sf__Error: `${errors[0]!.statusCode}:${errors[0]!.message}`, ...row });
      else job.successful.push({ sf__Id: save(job.object, record, existing).Id, sf__Created: String(!existing), ...row });
    });
    job.state = 'JobComplete';
  }

  // Bulk API 2.0 needs the API Enabled permission and Bulk API access for the user; without it every
  // jobs/ingest request is refused with 403 (https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/get_all_jobs.htm).
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (options.bulkApiEnabled === false && request.url.includes('/jobs/ingest'))
      return reply.code(403).send([{ message: 'The Bulk API is not enabled for this user', errorCode: 'FUNCTIONALITY_NOT_ENABLED' }]);
  });
  app.get(`${base}/jobs/ingest/`, async () => ({
    done: true,
    records: [...bulkJobs.values()].map((job) => ({ id: job.id, object: job.object, state: job.state, operation: 'upsert' })),
    nextRecordsUrl: null,
  }));

  app.post(`${base}/jobs/ingest/`, async (request, reply) => {
    const body = request.body as { object?: string; operation?: string; externalIdFieldName?: string; contentType?: string };
    if (!body.object || !records.has(body.object))
      return reply.code(400).send([{ message: `Entity type ${body.object} is not supported by the Bulk API`, errorCode: 'INVALIDENTITY' }]);
    if (body.operation !== 'upsert' || !body.externalIdFieldName || !fieldsOf(body.object).has(body.externalIdFieldName)) {
      return reply
        .code(400)
        .send([{ message: `The External ID field ${body.externalIdFieldName} does not exist on ${body.object}`, errorCode: 'INVALIDJOB' }]);
    }
    const job: BulkJob = {
      id: `750${String(bulkJobs.size + 1).padStart(12, '0')}AAA`,
      object: body.object,
      externalIdFieldName: body.externalIdFieldName,
      state: 'Open',
      csv: '',
      polls: 0,
      successful: [],
      failed: [],
      unprocessed: [],
    };
    bulkJobs.set(job.id, job);
    return jobView(job);
  });
  const findJob = (request: FastifyRequest, reply: FastifyReply) => {
    const job = bulkJobs.get((request.params as { id: string }).id);
    if (!job) void reply.code(404).send([{ message: 'The requested resource does not exist', errorCode: 'NOT_FOUND' }]);
    return job;
  };
  app.put(`${base}/jobs/ingest/:id/batches/`, async (request, reply) => {
    const job = findJob(request, reply);
    if (!job) return;
    if (job.state !== 'Open')
      return reply.code(409).send([{ message: `Job ${job.id} is not open for uploads`, errorCode: 'INVALIDJOBSTATE' }]);
    if (request.headers['content-type'] !== 'text/csv')
      return reply.code(400).send([{ message: 'Content-Type must be text/csv', errorCode: 'INVALID_CONTENT_TYPE' }]);
    job.csv += request.body as string;
    return reply.code(201).send();
  });
  app.patch(`${base}/jobs/ingest/:id/`, async (request, reply) => {
    const job = findJob(request, reply);
    if (!job) return;
    const { state } = request.body as { state?: string };
    if (state === 'Aborted') job.state = 'Aborted';
    else if (state === 'UploadComplete' && job.state === 'Open') job.state = 'UploadComplete';
    else
      return reply.code(400).send([{ message: `Cannot move job ${job.id} from ${job.state} to ${state}`, errorCode: 'INVALIDJOBSTATE' }]);
    return jobView(job);
  });
  app.get(`${base}/jobs/ingest/:id/`, async (request, reply) => {
    const job = findJob(request, reply);
    if (!job) return;
    if (job.state === 'UploadComplete' || job.state === 'InProgress') {
      job.polls += 1;
      if (job.polls > (options.bulkPollsUntilDone ?? 1)) processJob(job);
      else job.state = 'InProgress';
    }
    return jobView(job);
  });
  for (const [kind, pick, first] of [
    ['successfulResults', (job: BulkJob) => job.successful, ['sf__Id', 'sf__Created']],
    ['failedResults', (job: BulkJob) => job.failed, ['sf__Id', 'sf__Error']],
    ['unprocessedrecords', (job: BulkJob) => job.unprocessed, []],
  ] as const) {
    app.get(`${base}/jobs/ingest/:id/${kind}/`, async (request, reply) => {
      const job = findJob(request, reply);
      if (!job) return;
      const header = [...first, ...Object.keys(parseCsvRows(job.csv)[0] ?? {})];
      return reply.type('text/csv').send(csvOf(header, pick(job)));
    });
  }

  app.get(`${base}/sobjects/:type/describe`, async (request, reply) => {
    const { type } = request.params as { type: string };
    if (!records.has(type)) return reply.code(404).send([{ message: `The requested resource does not exist`, errorCode: 'NOT_FOUND' }]);
    // describe marks External ID fields with externalId: true (fields[].externalId).
    return {
      name: type,
      fields: [...fieldsOf(type)].map((name) => ({
        name,
        custom: name.endsWith('__c'),
        externalId: name.endsWith('__c') && !(options.plainCustomFields ?? []).includes(name),
      })),
    };
  });

  app.get(`${base}/sobjects/:type/deleted/`, async (request, reply) => {
    const { type } = request.params as { type: string };
    const { start, end } = request.query as { start?: string; end?: string };
    if (!start || !end) return reply.code(400).send([{ message: 'start and end are required', errorCode: 'MISSING_ARGUMENT' }]);
    // The resource ignores seconds: whole minutes only.
    const from = Math.floor(Date.parse(start) / 60_000) * 60_000;
    const to = Math.floor(Date.parse(end) / 60_000) * 60_000 + 59_999;
    const deletedRecords = deleted
      .filter((d) => d.type === type && Date.parse(d.deletedDate) >= from && Date.parse(d.deletedDate) <= to)
      .map(({ id, deletedDate }) => ({ id, deletedDate }));
    return { deletedRecords, earliestDateAvailable: sfTime(Date.now() - 15 * 86_400_000), latestDateCovered: sfTime(to) };
  });

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: address,
    records,
    requests,
    failNames,
    failIds,
    bulkJobs,
    bulkRowLimit,
    standardPricebookId,
    tokensIssued: () => issued,
    expireTokens: () => tokens.clear(),
    setApiUsage: (used) => {
      apiUsed = used;
    },
    createRecord: (type, fields) => {
      if (unknownField(type, fields)) throw new Error(`no field ${unknownField(type, fields)} on ${type} in the Salesforce fake`);
      return save(type, fields, undefined).Id;
    },
    updateRecord: (type, id, fields) => {
      const existing = records.get(type)?.get(id);
      if (!existing) throw new Error(`no ${type} ${id} in the Salesforce fake`);
      save(type, fields, existing);
    },
    deleteRecord: (type, id) => {
      records.get(type)!.delete(id);
      deleted.push({ type, id, deletedDate: stamp() });
    },
    malformNext: () => {
      malformed = true;
    },
    close: () => app.close(),
  };
}

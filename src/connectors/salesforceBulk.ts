import { z } from 'zod';
import { parseCsv, toCsv } from './csv';
import { RequestRejectedError, SystemUnavailableError } from '../shared/systemErrors';
import type { SalesforceApi, SaveResult } from './salesforceApi';

/**
 * Upsert through one Bulk API 2.0 ingest job: create it, upload the CSV, close it, poll until
 * Salesforce has processed it, then read the successful, failed and unprocessed records back and
 * give each input its own outcome. Upsert by external id makes a retried job harmless.
 * Create: https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/create_job.htm
 * Upload: https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/upload_job_data.htm
 * Close: https://developer.salesforce.com/docs/platform/api-asynch/guide/close-job.html
 * Results: https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/get_job_successful_results.htm
 * (results come in no particular order: they are matched by the external id column).
 */

const jobInfoSchema = z
  .object({
    id: z.string().min(1),
    state: z.enum(['Open', 'UploadComplete', 'InProgress', 'JobComplete', 'Failed', 'Aborted']),
    errorMessage: z.string().nullable().optional(),
    numberRecordsProcessed: z.number().int().nonnegative().optional(),
    numberRecordsFailed: z.number().int().nonnegative().optional(),
  })
  .loose();
type JobInfo = z.infer<typeof jobInfoSchema>;
const csvSchema = z
  .string()
  .optional()
  .transform((text) => text ?? '');

export interface BulkUpsertOptions {
  object: string;
  externalIdField: string;
  /** Field values per record, the external id among them; null clears a field (#N/A). */
  records: Array<Record<string, unknown>>;
  pollIntervalMs: number;
  maxWaitMs: number;
  /** Called while the job runs, so the activity keeps heartbeating. */
  onProgress?: () => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** A CSV cell: empty leaves a field as it is, #N/A sets it to null (Bulk API 2.0's convention). */
function cell(record: Record<string, unknown>, field: string): string {
  if (!(field in record)) return '';
  const value = record[field];
  if (value === null || value === undefined) return '#N/A';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * The field holding the literal text #N/A, if any. Bulk API 2.0 reads #N/A in a CSV cell as null,
 * quoted or not, and documents no escape ("To set a field value to null, use a field value of
 * #N/A": https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/datafiles_csv_valid_record_rows.htm),
 * so such a value cannot travel through a job: it would be written as null.
 */
function naLiteralField(record: Record<string, unknown>): string | undefined {
  return Object.keys(record).find((field) => {
    const value = record[field];
    return typeof value === 'string' && value.trim() === '#N/A';
  });
}

/**
 * The outcome of each record by external id value, the shape sObject Collections answer in. A
 * record with a value that is literally #N/A is refused with a reason and not sent.
 */
export async function bulkUpsert(api: SalesforceApi, options: BulkUpsertOptions): Promise<Map<string, SaveResult>> {
  const { object, externalIdField } = options;
  const refused = new Map<string, SaveResult>();
  const records = options.records.filter((record) => {
    const field = naLiteralField(record);
    if (field === undefined) return true;
    refused.set(cell(record, externalIdField), {
      id: null,
      success: false,
      errors: [
        {
          statusCode: 'NA_LITERAL',
          message: `${field} is the text "#N/A", which the Salesforce Bulk API writes as an empty (null) field; change the value in the PMS, or write this product without bulk (systems.<name>.products.bulk).`,
        },
      ],
    });
    return false;
  });
  if (records.length === 0) return refused;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? Date.now;
  const columns = [...new Set(records.flatMap((record) => Object.keys(record)))];
  const csv = toCsv(
    columns,
    records.map((record) => columns.map((field) => cell(record, field))),
  );
  const jobPath = `${api.base}/jobs/ingest`;
  const job = await api.send({
    method: 'POST',
    path: `${jobPath}/`,
    body: { object, externalIdFieldName: externalIdField, operation: 'upsert', contentType: 'CSV', lineEnding: 'LF' },
    schema: jobInfoSchema,
  });
  const abort = () =>
    api.send({ method: 'PATCH', path: `${jobPath}/${job.id}/`, body: { state: 'Aborted' }, schema: jobInfoSchema }).catch(() => undefined);
  try {
    await api.send({
      method: 'PUT',
      path: `${jobPath}/${job.id}/batches/`,
      rawBody: { contentType: 'text/csv', text: csv },
      responseType: 'text',
      schema: z.unknown(),
    });
    await api.send({ method: 'PATCH', path: `${jobPath}/${job.id}/`, body: { state: 'UploadComplete' }, schema: jobInfoSchema });
  } catch (error) {
    // An open job holds the upload; abort it so it does not linger in the org's job list.
    await abort();
    throw error;
  }

  const deadline = now() + options.maxWaitMs;
  let info: JobInfo;
  for (;;) {
    info = await api.send({ method: 'GET', path: `${jobPath}/${job.id}/`, schema: jobInfoSchema });
    if (info.state === 'JobComplete') break;
    if (info.state === 'Failed')
      throw new RequestRejectedError(
        api.system,
        400,
        `Salesforce Bulk API job ${job.id} failed: ${info.errorMessage ?? 'no reason given'}`,
      );
    if (info.state === 'Aborted')
      throw new SystemUnavailableError(
        api.system,
        `Salesforce Bulk API job ${job.id} was aborted before it finished; the write is retried.`,
      );
    if (now() >= deadline) {
      await abort();
      throw new SystemUnavailableError(
        api.system,
        `Salesforce Bulk API job ${job.id} did not finish within ${options.maxWaitMs} ms (state ${info.state}); it was aborted and the write is retried.`,
      );
    }
    options.onProgress?.();
    await sleep(options.pollIntervalMs);
  }

  const results = (kind: string) =>
    api
      .send({
        method: 'GET',
        path: `${jobPath}/${job.id}/${kind}/`,
        responseType: 'text',
        headers: { accept: 'text/csv' },
        schema: csvSchema,
      })
      .then(parseCsv);
  const outcomes = new Map<string, SaveResult>(refused);
  for (const row of await results('successfulResults')) {
    outcomes.set(row[externalIdField] ?? '', { id: row.sf__Id ?? null, success: true, errors: [], created: row.sf__Created === 'true' });
  }
  for (const row of await results('failedResults')) {
    const [statusCode, ...message] = (row.sf__Error ?? '').split(':');
    outcomes.set(row[externalIdField] ?? '', {
      id: row.sf__Id || null,
      success: false,
      errors: [{ statusCode: statusCode!.trim() || 'UNKNOWN', message: message.join(':').trim() || 'failed without a reason' }],
    });
  }
  for (const row of await results('unprocessedrecords')) {
    outcomes.set(row[externalIdField] ?? '', {
      id: null,
      success: false,
      errors: [{ statusCode: 'UNPROCESSED', message: `the Bulk API job ${job.id} did not process this record` }],
    });
  }
  return outcomes;
}

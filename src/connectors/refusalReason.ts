/**
 * Vendor error bodies echo the values they refuse ("Property values were not valid: stock "a few"
 * was not a valid number"; Salesforce's "data value too large: <value>"), and a refusal's text ends
 * up in failure reasons, Temporal's failure messages (not encrypted), logs and chat alerts. The
 * bridge knows every value it sent, so it cuts those out of whatever the vendor says and keeps what
 * an operator acts on: the vendor's error code, the field names and the rest of the message.
 */

/** Values of one or two characters carry no customer data, and cutting them would cut ordinary words. */
const minValueLength = 3;
/** A vendor may echo only the start of a long value; a run of this many characters of it is cut too. */
const minEchoedPrefix = 10;
const maxReasonLength = 500;
const cut = '…';

/** Every string a request carried, from a JSON body, a form, a raw body (CSV cells, lines) or the query. */
export function sentStrings(...parts: unknown[]): string[] {
  const found = new Set<string>();
  const walk = (node: unknown): void => {
    if (typeof node === 'string') {
      if (node.length >= minValueLength) found.add(node);
    } else if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      // Record ids and kinds say which record was refused: an operator needs them.
      for (const [key, value] of Object.entries(node)) if (!isIdKey(key)) walk(value);
    }
  };
  parts.forEach(walk);
  return [...found];
}

/** Keys whose values name records or kinds, not people: `id`, `externalId`, `entityIds`, `type` ... */
const isIdKey = (key: string): boolean => /^(id|Id|ID|type|kind)$/.test(key) || /[a-z](Id|ID|Ids|IDs)$/.test(key);

/** The cells of a CSV or newline-delimited text, as values that may come back in an error. */
export function textCells(text: string): string[] {
  return text.split(/\r?\n|,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((cell) => cell.replace(/^"|"$/g, '').replace(/""/g, '"'));
}

/**
 * `text` with every value the bridge sent replaced by "…": whole values (also as they read inside
 * JSON), case-insensitively, and runs of at least ten characters that start a value (an echo the
 * vendor shortened). Longest first, so a value never leaves a piece of itself behind.
 */
export function withoutSentValues(text: string, values: readonly string[]): string {
  const forms = new Set<string>();
  for (const value of values) {
    if (value.length < minValueLength) continue;
    forms.add(value);
    const escaped = JSON.stringify(value).slice(1, -1);
    if (escaped !== value) forms.add(escaped);
  }
  let result = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    result = replaceAll(result, form);
    if (form.length > minEchoedPrefix) result = cutEchoedPrefixes(result, form);
  }
  return result.length > maxReasonLength ? `${result.slice(0, maxReasonLength)}${cut}` : result;
}

function replaceAll(text: string, value: string): string {
  const lower = text.toLowerCase();
  const needle = value.toLowerCase();
  let out = '';
  let from = 0;
  for (let at = lower.indexOf(needle); at >= 0; at = lower.indexOf(needle, from)) {
    out += text.slice(from, at) + cut;
    from = at + needle.length;
  }
  return out + text.slice(from);
}

function cutEchoedPrefixes(text: string, value: string): string {
  const lowerValue = value.toLowerCase();
  const start = lowerValue.slice(0, minEchoedPrefix);
  let out = '';
  let from = 0;
  const lower = text.toLowerCase();
  for (let at = lower.indexOf(start, from); at >= 0; at = lower.indexOf(start, from)) {
    let length = minEchoedPrefix;
    while (at + length < text.length && length < value.length && lower[at + length] === lowerValue[length]) length++;
    out += text.slice(from, at) + cut;
    from = at + length;
  }
  return out + text.slice(from);
}

/** An error body with every string in it cleaned of the values sent: what connectors may read and quote. */
export function redactBody(body: unknown, values: readonly string[]): unknown {
  if (values.length === 0) return body;
  if (typeof body === 'string') return withoutSentValues(body, values);
  if (Array.isArray(body)) return body.map((item) => redactBody(item, values));
  if (body && typeof body === 'object') {
    return Object.fromEntries(Object.entries(body).map(([key, value]) => [key, redactBody(value, values)]));
  }
  return body;
}

const codeKeys = ['errorCode', 'error', 'code', 'category', 'statusCode'] as const;

/**
 * What the vendor said, as one line: its error code, the fields it names, and its message:
 * `{ error, message }` (the sandboxes, many REST APIs), HubSpot's `{ category, message }`,
 * Salesforce's `[{ errorCode, message, fields }]`, JSON:API's `{ errors: [{ code, detail }] }`.
 */
export function refusalDetail(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, maxReasonLength);
  const first: unknown = Array.isArray(body) ? body[0] : body;
  if (!first || typeof first !== 'object') return '';
  let record = first as Record<string, unknown>;
  if (typeof record.message !== 'string' && Array.isArray(record.errors) && record.errors[0] && typeof record.errors[0] === 'object') {
    record = record.errors[0] as Record<string, unknown>;
  }
  const message = typeof record.message === 'string' ? record.message : typeof record.detail === 'string' ? record.detail : '';
  const code = codeKeys
    .map((key) => record[key])
    .find((value): value is string => typeof value === 'string' && /^[A-Za-z_.-]{2,64}$/.test(value));
  const fields = Array.isArray(record.fields) ? record.fields.filter((field): field is string => typeof field === 'string') : [];
  const head = [code && !message.startsWith(code) ? code : undefined, fields.length > 0 ? `(${fields.join(', ')})` : undefined]
    .filter(Boolean)
    .join(' ');
  return [head, message].filter(Boolean).join(': ');
}

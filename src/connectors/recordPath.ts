/**
 * Dotted paths into JSON records (`price.amount`, `data.items`, `results.0.id`), as configured
 * for REST systems. The empty path is the value itself.
 */
export function getPath(value: unknown, path: string): unknown {
  if (path === '') return value;
  let current = value;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Sets a dotted path, creating the objects on the way. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split('.');
  let current = target;
  for (const key of keys.slice(0, -1)) {
    const next = current[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  current[keys.at(-1)!] = value;
}

/**
 * Fills a body template: a string that is exactly `$name` or `$name.path` is replaced by that
 * variable (any JSON value, e.g. `$records` or `$properties.price`); everything else stays as
 * written. So `{ inputs: $records }` or `{ data: { type: product, attributes: $properties } }`.
 */
export function renderTemplate(template: unknown, variables: Record<string, unknown>): unknown {
  if (typeof template === 'string' && template.startsWith('$')) {
    const [name, ...rest] = template.slice(1).split('.');
    if (name! in variables) return getPath(variables[name!], rest.join('.'));
    return template;
  }
  if (Array.isArray(template)) return template.map((item) => renderTemplate(item, variables));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([key, item]) => [key, renderTemplate(item, variables)]));
  }
  return template;
}

/** `/api/products/{externalId}` with each placeholder URL-encoded. */
export function renderUrlPath(path: string, variables: Record<string, string>): string {
  return path.replace(/\{(\w+)\}/g, (whole, name: string) => (name in variables ? encodeURIComponent(variables[name]!) : whole));
}

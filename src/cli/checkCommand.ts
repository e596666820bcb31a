import { connectionCheckFor } from '../connectionChecks';
import { loadConfig } from '../config/loadConfig';
import type { CheckItem } from '../connectors/connectionCheck';
import { out } from './bridgeClient';
import { exitCodes } from './exitCodes';

/**
 * `bridge check <system>`: checks the configured system against what the bridge needs of it and
 * prints each requirement, with how to fix what is missing. Exits 1 when something is missing.
 */
export async function checkSystem(name: string, options: { json?: boolean }): Promise<number> {
  const check = connectionCheckFor(loadConfig(), name);
  const items = await check.check();
  const ok = items.every((item) => item.ok);
  if (options.json) out(JSON.stringify({ system: name, kind: check.system, ok, items }, null, 2));
  else out(checkText(name, check.system, items));
  return ok ? exitCodes.ok : exitCodes.failed;
}

function checkText(name: string, system: string, items: CheckItem[]): string {
  const lines = items.map(
    (item) => `${item.ok ? 'ok     ' : 'MISSING'} ${item.name}: ${item.detail}${item.fix ? `\n        fix: ${item.fix}` : ''}`,
  );
  const missing = items.filter((item) => !item.ok).length;
  return [
    `${name} (${system}): ${missing === 0 ? 'everything the bridge needs is in place' : `${missing} requirement(s) missing`}`,
    ...lines,
  ].join('\n');
}

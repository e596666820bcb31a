import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface Row {
  case: string;
  figure: string;
  target?: string;
  /** undefined: no target for this row. */
  met?: boolean;
}

export function textTable(rows: Row[]): string {
  const cells = rows.map((row) => [row.case, row.figure, row.target ?? '', row.met === undefined ? '' : row.met ? 'met' : 'MISSED']);
  const header = ['Case', 'Figure', 'Target', ''];
  const widths = header.map((title, column) => Math.max(title.length, ...cells.map((line) => line[column]!.length)));
  const line = (values: string[]) =>
    values
      .map((value, column) => value.padEnd(widths[column]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n');
}

export function markdownTable(rows: Row[]): string {
  const escape = (value: string) => value.replaceAll('|', '\\|');
  return [
    '| Case | Figure | Target | |',
    '| --- | --- | --- | --- |',
    ...rows.map(
      (row) =>
        `| ${escape(row.case)} | ${escape(row.figure)} | ${escape(row.target ?? '')} | ${row.met === undefined ? '' : row.met ? 'met' : '**missed**'} |`,
    ),
  ].join('\n');
}

const begin = '<!-- bench:begin (written by npm run bench; edit outside these markers) -->';
const end = '<!-- bench:end -->';

/** Replaces the generated part of BENCHMARKS.md, keeping what people wrote around it. */
export function writeBenchmarksMarkdown(file: string, generated: string): void {
  const block = `${begin}\n${generated}\n${end}`;
  if (!existsSync(file)) {
    writeFileSync(file, `# Benchmarks\n\n${block}\n`);
    return;
  }
  const text = readFileSync(file, 'utf8');
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  writeFileSync(
    file,
    from >= 0 && to > from ? `${text.slice(0, from)}${block}${text.slice(to + end.length)}` : `${text.trimEnd()}\n\n${block}\n`,
  );
}

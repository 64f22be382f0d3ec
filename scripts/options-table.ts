/**
 * Prints the `run` options as a Markdown table, from the same definitions --help uses (the
 * option table, as yargs is given it). `node dist/scripts/options-table.js` regenerates the
 * README's table; a test keeps them equal.
 */
import { RUN_FLAGS } from '../src/options/flags.js';

export function optionsTable(): string {
  const rows = Object.entries(RUN_FLAGS).map(([name, spec]) => {
    const alias = spec.alias === undefined ? '' : `, \`-${String(spec.alias)}\``;
    const described = spec.defaultDescription ?? (spec.default === undefined ? '' : String(spec.default));
    const fallback = described !== '' ? `\`${described}\`` : '';
    const choices = spec.choices === undefined ? '' : ` (${[spec.choices].flat().join(', ')})`;
    return `| \`--${name}\`${alias} | ${(spec.description ?? '').replace(/\|/g, '\\|')}${choices} | ${fallback} |`;
  });
  return ['| option | meaning | default |', '| --- | --- | --- |', ...rows].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(optionsTable());

/**
 * Prints the `run` options as a Markdown table, from the same definitions --help uses.
 * `node dist/scripts/options-table.js` regenerates the README's table; a test keeps them equal.
 */
import { RUN_FLAGS } from '../src/cli-options.js';

export function optionsTable(): string {
  const rows = Object.entries(RUN_FLAGS).map(([name, spec]) => {
    const alias = 'alias' in spec ? `, \`-${spec.alias}\`` : '';
    const described = 'defaultDescription' in spec ? spec.defaultDescription : 'default' in spec ? String(spec.default) : '';
    const fallback = described !== '' ? `\`${described}\`` : '';
    const choices = 'choices' in spec ? ` (${spec.choices.join(', ')})` : '';
    return `| \`--${name}\`${alias} | ${spec.description.replace(/\|/g, '\\|')}${choices} | ${fallback} |`;
  });
  return ['| option | meaning | default |', '| --- | --- | --- |', ...rows].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(optionsTable());

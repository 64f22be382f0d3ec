/**
 * The shape of one entry of the option table (src/options/table.ts): everything about an option
 * apart from the code that uses it. Imports nothing, so every part of the options layer can.
 */

/** What a caller may give for an option of each kind: the CLI gives yargs' strings, a library caller numbers too. */
export interface OptionInputs {
  /** A number, or its text as on the command line (`10k`, `1kib`, `10s`, `3.1.1`). */
  number: number | string;
  boolean: boolean;
  string: string;
  /** Repeatable on the command line: one value or a list. */
  strings: string | string[];
}

export type OptionKind = keyof OptionInputs;

interface CommonSpec {
  /** The flag, where it is not the key in kebab-case (`--broker` for `brokers`). */
  flag?: string;
  alias?: string;
  /** --help and the README's table. */
  description: string;
  /** What --help and the README show as the default: the default itself unless said here (false: none shown). */
  shownDefault?: string | false;
  /** yargs refuses anything else. */
  choices?: readonly string[];
  /** A scenario's `defaults` may set it. */
  scenario: boolean;
  /** A file: in a scenario's `defaults`, relative to the scenario file. */
  file?: boolean;
  /** A flag of the CLI only (`--json`), not a run option: not in RunOptions. */
  cliOnly?: boolean;
  /** Its name among the resolved options, where not the key (`connectTimeout` is `connectTimeoutMs`). */
  resolved?: string;
  /** Every session is given it, as resolved (protocol.ts SessionSettings, the same name): see worker-options.ts. */
  worker?: boolean;
}

/**
 * `parse` makes an option resolve on its own: the value given (or the default) through the
 * parser, which names the option by its label (`--qos`), so a flag and a scenario default share
 * one message. Without one, an option is resolved by its own code in resolve.ts, as it
 * depends on other options (or on the environment, or on files).
 */
type KindSpec<K extends OptionKind> = CommonSpec & {
  kind: K;
  /** Used when neither a flag, a scenario's defaults nor a library caller gives a value. */
  default?: OptionInputs[K];
  parse?: (label: string, value: OptionInputs[K]) => unknown;
  /** With `parse` and no default: the resolved value of an option not given. */
  absent?: unknown;
};

export type OptionSpec = { [K in OptionKind]: KindSpec<K> }[OptionKind];

/** The flag spelling of a RunOptions key: `subTopic` is `sub-topic`. */
export const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The key spelling of a flag: `sub-topic` is `subTopic`. */
export const camel = (name: string): string => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

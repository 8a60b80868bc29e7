/**
 * How a command declares itself: its usage, positionals, options and handler, as plain data.
 * `run.ts` turns these into the argument parser, and tests read them to check that every
 * `hyperprov …` a message names is a real command and option.
 */
import type { GlobalArgs } from './context.js';

/** A positional argument; its name is the one in {@link CommandSpec.command}. */
export interface PositionalSpec {
    name: string;
    /** Field of the handler's argv, when `name` is taken by a global option (`dataset <dir>` vs `--dir`). */
    key?: string;
    demandOption?: boolean;
    describe?: string;
}

/**
 * An option, named without its dashes. Values are always strings (keys, ids and checksums must
 * never become numbers); `array` options are repeatable and collect every value, any other
 * option given twice is a usage error.
 */
export interface OptionSpec {
    type?: 'string' | 'boolean';
    array?: boolean;
    demandOption?: boolean;
    default?: unknown;
    choices?: readonly string[];
    describe?: string;
}

/**
 * One `hyperprov` command. The handler gets the options in camelCase (`--page-size` is
 * `pageSize`), the positionals by name, and the global options (`json`, `dir`).
 */
export interface CommandSpec<A extends GlobalArgs = GlobalArgs> {
    /** Name and positionals as usage shows them: `fetch <target> <out>`, `verify [target]`. */
    command: string;
    describe: string;
    positionals?: readonly PositionalSpec[];
    options?: Readonly<Record<string, OptionSpec>>;
    handler: (argv: A) => Promise<void>;
}

/**
 * The `hyperprov` command line: parses arguments with yargs and dispatches to one command module
 * each. Returns the exit code instead of exiting, so tests can run it in-process too.
 */
import { readFileSync } from 'node:fs';
import yargs, { type Argv, type CommandModule } from 'yargs';
import { TrackerError } from '@hyperprov/errors';
import { checkCommand } from './commands/check.js';
import { datasetCommand } from './commands/dataset.js';
import { fetchCommand } from './commands/fetch.js';
import { gcCommand } from './commands/gc.js';
import { getCommand } from './commands/get.js';
import { historyCommand } from './commands/history.js';
import { initCommand } from './commands/init.js';
import { lineageCommand } from './commands/lineage.js';
import { putCommand } from './commands/put.js';
import { rangeCommand } from './commands/range.js';
import { recordCommand } from './commands/record.js';
import { showCommand } from './commands/show.js';
import { statusCommand } from './commands/status.js';
import { verifyCommand } from './commands/verify.js';
import type { CliContext, GlobalArgs } from './context.js';
import { CliOutput, type CliIo } from './output.js';

/** Options of {@link runCli}; defaults are the real process's. */
export interface RunCliOptions {
    cwd?: string;
    io?: CliIo;
    readStdin?: () => Promise<string>;
    /** Aborts the running command (the binary wires it to SIGINT/SIGTERM). */
    signal?: AbortSignal;
}

/** Every command, in the order `--help` lists them. */
const COMMANDS: readonly ((ctx: CliContext) => CommandModule<GlobalArgs, any>)[] = [
    initCommand,
    recordCommand,
    putCommand,
    datasetCommand,
    getCommand,
    showCommand,
    historyCommand,
    rangeCommand,
    lineageCommand,
    verifyCommand,
    checkCommand,
    fetchCommand,
    gcCommand,
    statusCommand,
];

const PARSER_CONFIGURATION = {
    // Keys, ids and checksums are strings: never turn "0001" into 1 or "a.b" into nested options.
    'parse-numbers': false,
    'parse-positional-numbers': false,
    'dot-notation': false,
    'duplicate-arguments-array': true,
};

/** Options every command takes, besides its own. */
const GLOBAL_OPTIONS = ['json', 'dir', 'help', 'version'];

/** A command as the user sees it: its name and every option it accepts (without the dashes). */
export interface CliCommandInfo {
    name: string;
    options: string[];
}

/** The registered commands and their options, for checks that messages name only real ones. */
export function cliCommands(): CliCommandInfo[] {
    const ctx = {} as CliContext;
    return COMMANDS.map((factory) => {
        const module = factory(ctx);
        const declared = yargs([]);
        if (typeof module.builder === 'function') module.builder(declared as Argv<GlobalArgs>);
        const keys = Object.keys((declared as unknown as { getOptions(): DeclaredOptions }).getOptions().key);
        return { name: commandName(module), options: [...new Set([...GLOBAL_OPTIONS, ...keys])] };
    });
}

/** A parsing problem reported by yargs (missing argument, unknown option, …). */
class UsageError extends Error {}

/** Runs the CLI with `args` (without `node` and the script) and resolves to the exit code. */
export async function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<number> {
    const ctx: CliContext = {
        io: options.io ?? {
            stdout: (text) => process.stdout.write(text),
            stderr: (text) => process.stderr.write(text),
            drain: () => new Promise((resolve) => process.stdout.once('drain', () => resolve())),
        },
        cwd: options.cwd ?? process.cwd(),
        exitCode: 0,
        readStdin: options.readStdin ?? readProcessStdin,
        signal: options.signal ?? new AbortController().signal,
    };
    const parser: Argv = yargs([...args])
        .scriptName('hyperprov')
        .usage('$0 <command> [options]\n\nRecords provenance of ML models and data on a tamper-evident ledger.')
        .parserConfiguration(PARSER_CONFIGURATION)
        .option('json', { type: 'boolean', default: false, global: true, describe: 'print exactly one JSON document (errors, --help and --version too)' })
        .option('dir', { type: 'string', global: true, describe: 'project directory (default: nearest .hyperprov/ upward from here)' });
    for (const command of COMMANDS) parser.command(command(ctx) as CommandModule);
    parser
        // 'duplicate-arguments-array' makes every repeated option an array: right for --dep,
        // but `--meta a --meta b` would reach a handler expecting one string. Say so instead.
        .middleware((argv): void => refuseRepeatedOptions(argv, (parser as unknown as { getOptions(): DeclaredOptions }).getOptions()), true)
        .demandCommand(1, 'name a command; `hyperprov --help` lists them')
        .strict()
        .help()
        .alias('h', 'help')
        .version(packageVersion())
        .wrap(Math.min(110, process.stdout.columns || 80))
        .exitProcess(false)
        .fail((message, error) => {
            // Our handlers report their own errors; only parsing problems arrive here.
            throw error ?? new UsageError(message);
        });
    const json = args.includes('--json');
    try {
        // With a callback, yargs hands over the --help/--version text instead of printing it,
        // so --json can wrap it in a document like everything else.
        let shown: { argv: Record<string, unknown>; text: string } | undefined;
        await parser.parseAsync(args, {}, (_error, argv, text) => {
            if (text) shown = { argv, text };
        });
        if (shown) {
            const field = shown.argv.version === true && shown.argv.help !== true ? 'version' : 'help';
            new CliOutput(json, ctx.io).result({ [field]: shown.text }, () => shown?.text ?? '');
        }
    } catch (error) {
        const out = new CliOutput(json, ctx.io);
        const word = firstWord(parser, args);
        const command = word !== undefined && commandNames().has(word) ? word : undefined;
        if (word !== undefined && command === undefined) {
            // yargs says "Unknown argument: bogus"; help for `bogus` does not exist.
            return out.error(new TrackerError('INVALID_ARGUMENT', `unknown command ${JSON.stringify(word)}; \`hyperprov --help\` lists the commands`, { cause: error }));
        }
        const message = error instanceof Error ? error.message : String(error);
        const help = message.includes('--help') ? '' : `; run \`hyperprov ${command === undefined ? '' : `${command} `}--help\` for usage`;
        return out.error(new TrackerError('INVALID_ARGUMENT', `${message}${help}`, { cause: error }));
    }
    return ctx.exitCode;
}

/** The options yargs knows for the command being run (`getOptions()`, not in @types/yargs 17). */
interface DeclaredOptions {
    key: Record<string, unknown>;
    array: string[];
}

/** Throws a UsageError for an option given more than once that takes one value. */
function refuseRepeatedOptions(argv: Record<string, unknown>, options: DeclaredOptions): void {
    for (const name of Object.keys(options.key)) {
        const value = argv[name];
        if (Array.isArray(value) && !options.array.includes(name)) {
            throw new UsageError(`--${name} was given ${value.length} times; give it once`);
        }
    }
}

function commandName(module: CommandModule<GlobalArgs, any>): string {
    return String(module.command).split(' ')[0] as string;
}

/** Names of the registered commands. */
function commandNames(): Set<string> {
    // Building a module only creates an object; the context is used when the command runs.
    return new Set(COMMANDS.map((factory) => commandName(factory({} as CliContext))));
}

/** The first word of `args` that is not an option or an option's value: what yargs took as the command. */
function firstWord(parser: Argv, args: readonly string[]): string | undefined {
    const { string } = (parser as unknown as { getOptions(): { string: string[] } }).getOptions();
    for (let i = 0; i < args.length; i++) {
        const arg = args[i] as string;
        if (arg === '--') return args[i + 1];
        if (!arg.startsWith('-')) return arg;
        // `--dir x`: x is the option's value, not a command.
        if (!arg.includes('=') && string.includes(arg.replace(/^-+/, ''))) i++;
    }
    return undefined;
}

function packageVersion(): string {
    try {
        const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
        return pkg.version ?? 'unknown';
    } catch {
        return 'unknown';
    }
}

async function readProcessStdin(): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
}

export type { GlobalArgs };

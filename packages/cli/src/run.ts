/**
 * The `hyperprov` command line: parses arguments with commander and dispatches to one command
 * module each. Returns the exit code instead of exiting, so tests can run it in-process too.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import type { CommandSpec, OptionSpec } from './command-spec.js';
import { TrackerError } from '@hyperprov/errors';
import { checkCommand } from './commands/check.js';
import { datasetCommand } from './commands/dataset.js';
import { diffCommand } from './commands/diff.js';
import { enrollCommand } from './commands/enroll.js';
import { exportCommand } from './commands/export.js';
import { epochCommand } from './commands/epoch.js';
import { fetchCommand } from './commands/fetch.js';
import { gcCommand } from './commands/gc.js';
import { getCommand } from './commands/get.js';
import { historyCommand } from './commands/history.js';
import { initCommand } from './commands/init.js';
import { lineageCommand } from './commands/lineage.js';
import { putCommand } from './commands/put.js';
import { rangeCommand } from './commands/range.js';
import { recordCommand } from './commands/record.js';
import { reproduceCommand } from './commands/reproduce.js';
import { runCommandSpec } from './commands/run-show.js';
import { runsCommand } from './commands/runs.js';
import { serveCommand } from './commands/serve.js';
import { showCommand } from './commands/show.js';
import { statusCommand } from './commands/status.js';
import { verifyCommand } from './commands/verify.js';
import type { CliContext, GlobalArgs } from './context.js';
import type { Tracker } from '@hyperprov/tracker';
import { CliOutput, type CliIo } from './output.js';

/** Options of {@link runCli}; defaults are the real process's. */
export interface RunCliOptions {
    cwd?: string;
    io?: CliIo;
    readStdin?: () => Promise<string>;
    /** Aborts the running command (the binary wires it to SIGINT/SIGTERM). */
    signal?: AbortSignal;
    /** The project server's tracker, for a command the server runs for a client (see CliContext.tracker). */
    tracker?: Tracker;
    /** Width for help text; default the terminal's (the client's, for a forwarded command). */
    columns?: number;
    /** Whether a progress bar may draw on stderr; default: stderr is a terminal. */
    interactive?: boolean;
}

/** Every command, in the order `--help` lists them. */
const COMMANDS: readonly ((ctx: CliContext) => CommandSpec<any>)[] = [
    initCommand,
    recordCommand,
    putCommand,
    datasetCommand,
    epochCommand,
    getCommand,
    showCommand,
    historyCommand,
    rangeCommand,
    lineageCommand,
    runsCommand,
    runCommandSpec,
    reproduceCommand,
    diffCommand,
    exportCommand,
    verifyCommand,
    checkCommand,
    fetchCommand,
    gcCommand,
    statusCommand,
    enrollCommand,
    serveCommand,
];

/** Options every command takes, besides its own. */
const GLOBAL_OPTIONS = ['json', 'dir', 'help', 'version'];

/** The global options that take a value (needed to find the command word before parsing). */
const GLOBAL_VALUE_OPTIONS = ['dir'];

/** A command as the user sees it: its name and every option it accepts (without the dashes). */
export interface CliCommandInfo {
    name: string;
    options: string[];
}

/** The registered commands and their options, for checks that messages name only real ones. */
export function cliCommands(): CliCommandInfo[] {
    // Building a module only creates an object; the context is used when the command runs.
    const ctx = {} as CliContext;
    return COMMANDS.map((factory) => {
        const spec = factory(ctx);
        return { name: commandName(spec), options: [...new Set([...GLOBAL_OPTIONS, ...Object.keys(spec.options ?? {})])] };
    });
}

/** A parsing problem (missing argument, unknown option, …). */
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
        interactive: options.interactive ?? process.stderr.isTTY === true,
        ...(options.tracker && { tracker: options.tracker }),
    };
    const json = args.includes('--json');
    // Commander prints --help and --version itself; collected here, --json can wrap them in a
    // document like everything else. Its error messages are rewritten below, never printed as they are.
    let shown = '';
    const counts = new Map<string, number>();
    const program = buildProgram(ctx, counts, (text) => (shown += text), options.columns);
    const word = firstWord(args);
    try {
        await program.parseAsync([...args], { from: 'user' });
    } catch (error) {
        if (error instanceof CommanderError && (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')) {
            const field = error.code === 'commander.version' ? 'version' : 'help';
            const text = shown.replace(/\s+$/, '');
            new CliOutput(json, ctx.io).result({ [field]: text }, () => text);
            return 0;
        }
        const out = new CliOutput(json, ctx.io);
        const command = word !== undefined && commandNames().has(word) ? word : undefined;
        if (word === undefined) {
            return out.error(new TrackerError('INVALID_ARGUMENT', 'name a command; `hyperprov --help` lists them', { cause: error }));
        }
        if (command === undefined) {
            // Help for `bogus` does not exist.
            return out.error(new TrackerError('INVALID_ARGUMENT', `unknown command ${JSON.stringify(word)}; \`hyperprov --help\` lists the commands`, { cause: error }));
        }
        const message = usageMessage(error);
        const help = message.includes('--help') ? '' : `; run \`hyperprov ${command} --help\` for usage`;
        return out.error(new TrackerError('INVALID_ARGUMENT', `${message}${help}`, { cause: error }));
    }
    return ctx.exitCode;
}

/** The parser: global options, then one subcommand per {@link COMMANDS} entry. */
function buildProgram(ctx: CliContext, counts: Map<string, number>, write: (text: string) => void, columns?: number): Command {
    const width = (): number => Math.min(110, columns ?? (process.stdout.columns || 80));
    const program = new Command('hyperprov')
        .usage('<command> [options]')
        .description('Records provenance of ML models and data on a tamper-evident ledger.')
        .addOption(new Option('--json', 'print exactly one JSON document (errors, --help and --version too)').default(false))
        .addOption(valueOption('dir', { type: 'string', describe: 'project directory (default: nearest .hyperprov/ upward from here)' }, counts))
        .version(packageVersion(), '--version', 'Show version number')
        // Settings below are copied into every subcommand made after them.
        .helpOption('-h, --help', 'Show help')
        .helpCommand(false)
        // Extra positionals are refused in the action, in the same words as unknown options.
        .allowExcessArguments(true)
        .exitOverride()
        .configureOutput({ writeOut: write, writeErr: () => undefined, outputError: () => undefined, getOutHelpWidth: width, getErrHelpWidth: width })
        .configureHelp({
            showGlobalOptions: true,
            subcommandTerm: (command) => `hyperprov ${command.name()} ${command.usage().replace(/ ?\[options\]$/, '')}`.trimEnd(),
        });
    for (const factory of COMMANDS) {
        const spec = factory(ctx);
        const positionals = spec.command.split(' ').slice(1);
        const command = program
            .command(commandName(spec))
            .description(spec.describe)
            .usage([...positionals, '[options]'].join(' '));
        for (const [i, positional] of (spec.positionals ?? []).entries()) {
            command.argument(positionals[i] ?? `<${positional.name}>`, positional.describe ?? '');
        }
        for (const [name, option] of Object.entries(spec.options ?? {})) command.addOption(commandOption(name, option, counts));
        command.action(async (...params: unknown[]) => {
            const self = params[params.length - 1] as Command;
            const declared = spec.positionals ?? [];
            const extra = self.args.slice(declared.length);
            if (extra.length > 0) throw new UsageError(`Unknown argument${extra.length > 1 ? 's' : ''}: ${extra.join(', ')}`);
            // A repeated option would reach a handler expecting one string (`--meta a --meta b`): say so instead.
            for (const [name, count] of counts) if (count > 1) throw new UsageError(`--${name} was given ${count} times; give it once`);
            const missing = Object.entries(spec.options ?? {})
                .filter(([name, option]) => option.demandOption && self.getOptionValue(camelCase(name)) === undefined)
                .map(([name]) => name);
            if (missing.length > 0) throw new UsageError(`Missing required argument${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`);
            const argv: Record<string, unknown> = { ...self.optsWithGlobals() };
            for (const [i, positional] of declared.entries()) argv[positional.key ?? positional.name] = params[i];
            await spec.handler(argv as unknown as GlobalArgs);
        });
    }
    return program;
}

/** A command's option as commander declares it. */
function commandOption(name: string, spec: OptionSpec, counts: Map<string, number>): Option {
    if (spec.type === 'boolean') {
        const option = new Option(`--${name}`, spec.describe ?? '');
        return spec.default === undefined ? option : option.default(spec.default);
    }
    return valueOption(name, spec, counts);
}

/**
 * An option taking a string value (never parsed as a number): `array` ones collect every value
 * (`--dep a --dep b`, and like before `--dep a b`), the others count how often they were given.
 */
function valueOption(name: string, spec: OptionSpec, counts: Map<string, number>): Option {
    const describe = `${spec.describe ?? ''}${spec.demandOption ? ' (required)' : ''}`.trim();
    const option = new Option(spec.array ? `--${name} <value...>` : `--${name} <value>`, describe);
    if (spec.choices) option.choices(spec.choices);
    if (spec.default !== undefined) option.default(spec.default);
    const collected: string[] = [];
    return option.argParser((value: string) => {
        if (spec.choices && !spec.choices.includes(value)) {
            throw new UsageError(`--${name} ${JSON.stringify(value)} is invalid; give one of ${spec.choices.map((choice) => JSON.stringify(choice)).join(', ')}`);
        }
        if (spec.array) {
            collected.push(value);
            return [...collected];
        }
        counts.set(name, (counts.get(name) ?? 0) + 1);
        return value;
    });
}

/** A commander error in the words this CLI uses (the ones yargs used, where they were clear). */
function usageMessage(error: unknown): string {
    if (!(error instanceof CommanderError)) return error instanceof Error ? error.message : String(error);
    const text = error.message.replace(/^error: /, '');
    const quoted = /'([^']+)'/.exec(text)?.[1];
    switch (error.code) {
        case 'commander.unknownOption': {
            const suggestion = /\(Did you mean (\S+)\?\)/.exec(text)?.[1];
            return `Unknown argument: ${quoted}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`;
        }
        case 'commander.missingArgument':
            return `Missing required argument: <${quoted}>`;
        case 'commander.optionMissingArgument':
            return `${quoted?.split(' ')[0]} needs a value`;
        default:
            return text;
    }
}

function camelCase(name: string): string {
    return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function commandName(spec: CommandSpec<any>): string {
    return spec.command.split(' ')[0] as string;
}

/** Names of the registered commands. */
function commandNames(): Set<string> {
    return new Set(cliCommands().map((command) => command.name));
}

/** The first word of `args` that is not an option or an option's value: what the parser takes as the command. */
function firstWord(args: readonly string[]): string | undefined {
    for (let i = 0; i < args.length; i++) {
        const arg = args[i] as string;
        if (arg === '--') return args[i + 1];
        if (!arg.startsWith('-')) return arg;
        // `--dir x`: x is the option's value, not a command.
        if (!arg.includes('=') && GLOBAL_VALUE_OPTIONS.includes(arg.replace(/^-+/, ''))) i++;
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

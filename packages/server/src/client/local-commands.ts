/**
 * Which CLI invocations run in the caller's own process even while a server runs: those that
 * make or change the project's setup (init, enroll), manage the server itself (serve), or run
 * for as long as the caller wants (watch). The CLI's fast path and the server's /v1/cli agree on
 * this through one list.
 */
export const LOCAL_COMMANDS: ReadonlySet<string> = new Set(['init', 'serve', 'enroll', 'watch']);

/** Global options that take a value, so the command word can be found before parsing. */
const GLOBAL_VALUE_OPTIONS = new Set(['--dir']);

/** The command word of `args` (the first non-option word), as the CLI's parser will see it. */
export function commandWord(args: readonly string[]): string | undefined {
    for (let i = 0; i < args.length; i++) {
        const arg = args[i] as string;
        if (arg === '--') return args[i + 1];
        if (!arg.startsWith('-')) return arg;
        if (GLOBAL_VALUE_OPTIONS.has(arg)) i++;
    }
    return undefined;
}

/** The value of `--dir` in `args` (either `--dir x` or `--dir=x`), as the CLI's parser reads it. */
export function dirOption(args: readonly string[]): string | undefined {
    let dir: string | undefined;
    for (let i = 0; i < args.length; i++) {
        const arg = args[i] as string;
        if (arg === '--') break;
        if (arg === '--dir') dir = args[++i];
        else if (arg.startsWith('--dir=')) dir = arg.slice('--dir='.length);
    }
    return dir;
}

/** True when the invocation runs locally whatever runs (see {@link LOCAL_COMMANDS}). */
export function runsLocally(args: readonly string[]): boolean {
    const word = commandWord(args);
    return word !== undefined && LOCAL_COMMANDS.has(word);
}

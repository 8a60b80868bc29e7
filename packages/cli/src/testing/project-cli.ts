/** Test helper: the `hp`/`ok` pair most CLI tests start with. */
import { expect } from 'vitest';
import { runHyperprov, type CliRun } from './cli-process.js';

/**
 * The two helpers most CLI tests start with, for the project `cwd()` names when called:
 * `hp(...args)` runs the CLI there; `ok(...args)` runs it with `--json`, expects exit 0 (showing
 * the output when not) and returns the one JSON document.
 */
export function projectCli(cwd: () => string): { hp: (...args: string[]) => Promise<CliRun>; ok: <T = any>(...args: string[]) => Promise<T> } {
    const hp = (...args: string[]): Promise<CliRun> => runHyperprov(args, { cwd: cwd() });
    const ok = async <T = any>(...args: string[]): Promise<T> => {
        const run = await hp(...args, '--json');
        expect(run.code, `hyperprov ${args.join(' ')}: ${run.stdout}${run.stderr}`).toBe(0);
        return run.json<T>();
    };
    return { hp, ok };
}

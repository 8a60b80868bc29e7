/**
 * The argument parser's promises, in-process: usage errors are INVALID_ARGUMENT (exit 2) naming
 * what to fix, --json wraps --help and --version, and values reach commands as strings.
 */
import { describe, expect, it } from 'vitest';
import { EXIT_CODES } from '@hyperprov/errors';
import { cliCommands, runCli } from './run.js';

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    const code = await runCli(args, { cwd: '/nonexistent', io: { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) } });
    return { code, stdout, stderr };
}

async function usageError(...args: string[]): Promise<string> {
    const { code, stdout, stderr } = await run(...args, '--json');
    expect(code).toBe(EXIT_CODES.INVALID_ARGUMENT);
    expect(stderr).toBe('');
    const doc = JSON.parse(stdout);
    expect(doc.error.code).toBe('INVALID_ARGUMENT');
    return doc.error.message as string;
}

describe('hyperprov argument parsing', () => {
    it.each([
        [['record', 'f.bin'], /^Missing required argument: key; run `hyperprov record --help` for usage$/],
        [['put', '--pointer', 'p'], /^Missing required arguments: key, checksum, location;/],
        [['get'], /^Missing required argument: <key>;/],
        [['get', 'k', 'extra'], /^Unknown argument: extra;/],
        [['range', 'a', 'b', 'c', 'd'], /^Unknown arguments: c, d;/],
        [['get', 'k', '--colour', 'red'], /^Unknown argument: --colour; run `hyperprov get --help`/],
        [['record', 'f.bin', '--key'], /^--key needs a value;/],
        [['record', 'f.bin', '--key', 'k', '--type', 'x'], /^--type "x" is invalid; give one of "record", "transformation";/],
        [['record', 'f.bin', '--key', 'a', '--key', 'b', '--key', 'c'], /^--key was given 3 times; give it once;/],
        [['get', 'k', '--dir', '.', '--dir', '.'], /^--dir was given 2 times; give it once;/],
        [['bogus'], /^unknown command "bogus"; `hyperprov --help` lists the commands$/],
        [[], /^name a command; `hyperprov --help` lists them$/],
        [['--bogus'], /^name a command;/],
    ])('%j is a usage error: %s', async (args, message) => {
        expect(await usageError(...args)).toMatch(message);
    });

    it('--help and --version print one JSON document with --json, text without', async () => {
        expect(JSON.parse((await run('--version', '--json')).stdout)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+$/) });
        const help = JSON.parse((await run('history', '--help', '--json')).stdout).help as string;
        expect(help).toContain('hyperprov history <key>');
        expect(help).toContain('--page-size');
        const top = await run('-h');
        expect(top.code).toBe(0);
        for (const { name } of cliCommands()) expect(top.stdout).toContain(`hyperprov ${name}`);
        expect(top.stdout).not.toMatch(/^\s*help\b/m);
    });

    it('booleans may be repeated; numbers and dots stay strings', async () => {
        // --page-size reaches the command as the string "1.50" and is refused there, by name.
        expect(await usageError('history', 'k', '--json', '--page-size', '1.50')).toMatch(/--page-size "1\.50" is invalid/);
        expect(await usageError('gc', '--min-age', '0x10')).toMatch(/--min-age "0x10" is invalid/);
    });
});

/**
 * Every hint a CLI user reads must be one they can follow: each `hyperprov <command> --option`
 * it names is a registered command taking that option, and no message sends them to a contract
 * function (getByRange, …) the CLI does not have.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PROVENANCE_TRANSACTIONS } from '@hyperprov/chaincode/protocol';
import { describe, expect, it } from 'vitest';
import { ERROR_HINTS } from '@hyperprov/errors';
import { cliCommands } from './run.js';

const commands = new Map(cliCommands().map((command) => [command.name, new Set(command.options)]));
const anyCommandOptions = new Set([...commands.values()].flatMap((options) => [...options]));

/** Problems with the `hyperprov …` commands named in backticks in `text`. */
function commandProblems(text: string): string[] {
    const problems: string[] = [];
    for (const [, span] of text.matchAll(/`(hyperprov(?![\w-])[^`]*)`/g)) {
        const words = (span as string).split(/\s+/).slice(1);
        const name = words[0];
        // `hyperprov <command> --help`: a placeholder, any command's options will do.
        const options = name === undefined || name.startsWith('-') ? anyCommandOptions : name === '<command>' ? anyCommandOptions : commands.get(name);
        if (options === undefined) {
            problems.push(`\`${span}\` names no command (commands: ${[...commands.keys()].join(', ')})`);
            continue;
        }
        for (const word of words) {
            const option = /^--([a-z][a-z-]*)/.exec(word)?.[1];
            if (option !== undefined && !options.has(option)) problems.push(`\`${span}\`: ${name} has no option --${option}`);
        }
    }
    return problems;
}

const packagesDir = fileURLToPath(new URL('../../', import.meta.url));
const chaincodeSrc = path.join(packagesDir, 'chaincode', 'src');
/** Every package whose messages can reach a CLI user. */
const messageSources = ['cli', 'tracker', 'errors', 'ledger', 'ledger-embedded', 'chaincode', 'storage', 'storage-s3', 'storage-sshfs'].map((name) =>
    path.join(packagesDir, name, 'src'),
);

function sourceFiles(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) return entry.name === 'testing' ? [] : sourceFiles(full);
        return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [full] : [];
    });
}

describe('hints name only what a CLI user can do', () => {
    it('the checker itself catches a wrong command and a wrong option', () => {
        expect(commandProblems('run `hyperprov bogus --help`')).toHaveLength(1);
        expect(commandProblems('run `hyperprov range --page 2`')).toEqual(['`hyperprov range --page 2`: range has no option --page']);
        expect(commandProblems('run `hyperprov range "" "" --page-size 2` or `hyperprov <command> --help`')).toEqual([]);
        const source = "throw new TrackerError('X', `gone; run \\`hyperprov bogus\\``);\n// `hyperprov bogus` in a comment is not a message";
        expect(messageTexts(source).flatMap(commandProblems)).toEqual([`\`hyperprov bogus\` names no command (commands: ${cliCommands().map((command) => command.name).join(', ')})`]);
        expect(cliCommands().map((command) => command.name)).toEqual(expect.arrayContaining(['init', 'record', 'epoch', 'runs', 'run', 'enroll']));
    });

    it.each(Object.entries(ERROR_HINTS))('the %s hint', (_code, hint) => {
        expect(commandProblems(hint)).toEqual([]);
    });

    it('every `hyperprov …` a message in the tracker or contract sources names is a real command and option', () => {
        const files = messageSources.flatMap(sourceFiles);
        expect(files.length).toBeGreaterThan(50);
        const mentions = files.flatMap((file) => messageTexts(readFileSync(file, 'utf8'))).filter((text) => text.includes('`hyperprov '));
        expect(mentions.length).toBeGreaterThan(10);
        const problems = files.flatMap((file) =>
            messageTexts(readFileSync(file, 'utf8')).flatMap((text) => commandProblems(text).map((problem) => `${path.relative(packagesDir, file)}: ${problem}`)),
        );
        expect(problems).toEqual([]);
    });

    it('no contract message or CLI hint tells the user to call a contract function', () => {
        // The contract's messages reach every client, CLI users included. `set` and `get` are
        // CLI words too; the others exist only in the contract.
        const functions = Object.keys(PROVENANCE_TRANSACTIONS).filter((fn) => /[A-Z]/.test(fn));
        const named = new RegExp(`\\b(${functions.join('|')})\\b`);
        const texts = [...sourceFiles(chaincodeSrc).flatMap((file) => messageTexts(readFileSync(file, 'utf8'))), ...Object.values(ERROR_HINTS)];
        expect(texts.length).toBeGreaterThan(20);
        expect(texts.filter((text) => named.test(text))).toEqual([]);
    });
});

/**
 * The text of string literals that read as messages (they hold a space), with `\``-escaped
 * backticks unescaped and `${…}` left as it is; comments are left out (they speak to developers).
 */
function messageTexts(source: string): string[] {
    const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    const texts: string[] = [];
    for (const [, , body] of code.matchAll(/(['"`])((?:\\.|(?!\1)[^\\\n])*)\1/g)) {
        const text = (body as string).replace(/\\`/g, '`');
        // A mention built at run time (`hyperprov ${command} --help`) is checked by running it.
        if (/\s/.test(text)) texts.push(text.replace(/`hyperprov [^`]*\$\{[^`]*`/g, ''));
    }
    return texts;
}

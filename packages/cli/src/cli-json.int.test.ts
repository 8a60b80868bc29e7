/**
 * The --json promise, through the built binary: every command, succeeding and failing, prints
 * exactly one JSON document on stdout (an error is `{"error": {code, message, hint, exitCode}}`)
 * and nothing on stderr. So are --help, --version, a missing and an unknown command.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '@hyperprov/errors';
import { cliCommands } from './run.js';
import { ensureCliBuilt, runHyperprov, type CliRun } from './testing/cli-process.js';

let root: string;
let project: string;
let recorded: { id: string };
const hp = (args: readonly string[], cwd = project): Promise<CliRun> => runHyperprov([...args, '--json'], { cwd });

const CHECKSUM = `sha256:${'1'.repeat(64)}`;
const UNKNOWN_ID = 'f'.repeat(64);

beforeAll(async () => {
    ensureCliBuilt();
    root = await mkdtemp(path.join(tmpdir(), 'hp-cli-json-'));
    project = path.join(root, 'project');
    await mkdir(project);
    expect((await hp(['init'])).code).toBe(0);
    await writeFile(path.join(project, 'model.bin'), 'weights');
    await writeFile(path.join(project, 'never.bin'), 'bytes nobody recorded');
    await mkdir(path.join(project, 'data'));
    await writeFile(path.join(project, 'data', 'a.csv'), '1,2\n');
    const run = await hp(['record', 'model.bin', '--key', 'models/m']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    recorded = run.json();
}, 180_000);

afterAll(async () => {
    await rm(root, { recursive: true, force: true });
});

type Case = [command: string, mode: 'success' | 'failure', args: () => string[], code: number, cwd?: () => string];
const cases: Case[] = [
    ['init', 'success', () => ['init', '--dir', path.join(root, 'second')], 0],
    ['init', 'failure', () => ['init'], EXIT_CODES.ALREADY_EXISTS],
    ['record', 'success', () => ['record', 'model.bin', '--key', 'models/m2'], 0],
    ['record', 'failure', () => ['record', 'missing.bin', '--key', 'models/x'], EXIT_CODES.NOT_FOUND],
    ['put', 'success', () => ['put', '--key', 'ext/x', '--checksum', CHECKSUM, '--location', 'https://example.com/x', '--pointer', 'x', '--size', '1'], 0],
    ['put', 'failure', () => ['put', '--key', 'ext/x', '--checksum', 'sha256:bad', '--location', 'https://example.com/x', '--pointer', 'x', '--size', '1'], EXIT_CODES.INVALID_ARGUMENT],
    ['dataset', 'success', () => ['dataset', 'data', '--key', 'datasets/d'], 0],
    ['dataset', 'failure', () => ['dataset', 'no-such-dir', '--key', 'datasets/x'], EXIT_CODES.NOT_FOUND],
    ['get', 'success', () => ['get', 'models/m'], 0],
    ['get', 'failure', () => ['get', 'nosuch'], EXIT_CODES.NOT_FOUND],
    ['show', 'success', () => ['show', recorded.id], 0],
    ['show', 'failure', () => ['show', UNKNOWN_ID], EXIT_CODES.NOT_FOUND],
    ['history', 'success', () => ['history', 'models/m'], 0],
    ['history', 'failure', () => ['history', 'nosuch'], EXIT_CODES.NOT_FOUND],
    ['history', 'success', () => ['history', 'models/m', '--page-size', '1'], 0],
    ['history', 'failure', () => ['history', 'nosuch', '--page-size', '1'], EXIT_CODES.NOT_FOUND],
    ['range', 'success', () => ['range', '', ''], 0],
    ['range', 'success', () => ['range', '', '', '--all'], 0],
    ['range', 'failure', () => ['range', '', '', '--page-size', '0'], EXIT_CODES.INVALID_ARGUMENT],
    ['range', 'failure', () => ['range', '', '', '--all', '--bookmark', 'a\u0001'], EXIT_CODES.INVALID_ARGUMENT],
    ['lineage', 'success', () => ['lineage', recorded.id], 0],
    ['lineage', 'failure', () => ['lineage', 'nosuch'], EXIT_CODES.NOT_FOUND],
    ['verify', 'success', () => ['verify', '--all', '--ledger'], 0],
    ['verify', 'failure', () => ['verify', 'nosuch'], EXIT_CODES.NOT_FOUND],
    ['check', 'success', () => ['check', 'model.bin', '--key', 'models/m'], 0],
    ['check', 'failure', () => ['check', 'missing.bin'], EXIT_CODES.NOT_FOUND],
    ['fetch', 'success', () => ['fetch', 'models/m', path.join(root, 'fetched.bin')], 0],
    ['fetch', 'failure', () => ['fetch', 'nosuch', path.join(root, 'nothing.bin')], EXIT_CODES.NOT_FOUND],
    ['gc', 'success', () => ['gc'], 0],
    ['gc', 'failure', () => ['gc', '--min-age', 'soon'], EXIT_CODES.INVALID_ARGUMENT],
    ['enroll', 'failure', () => ['enroll', '--user', 'bob'], EXIT_CODES.INVALID_ARGUMENT],
    ['epoch', 'success', () => ['epoch', 'model.bin', '--key', 'models/e', '--run', 'json-run'], 0],
    ['epoch', 'failure', () => ['epoch', 'model.bin', '--epoch', 'first'], EXIT_CODES.INVALID_ARGUMENT],
    ['runs', 'success', () => ['runs'], 0],
    ['runs', 'failure', () => ['runs', '--page-size', '0'], EXIT_CODES.INVALID_ARGUMENT],
    ['run', 'failure', () => ['run', 'no-such-run'], EXIT_CODES.NOT_FOUND],
    ['export', 'success', () => ['export', recorded.id, '--format', 'prov-json'], 0],
    ['export', 'failure', () => ['export', 'nosuch', '--format', 'prov-json'], EXIT_CODES.NOT_FOUND],
    ['diff', 'failure', () => ['diff', 'nosuch', 'models/m'], EXIT_CODES.NOT_FOUND],
    ['reproduce', 'failure', () => ['reproduce', 'nosuch', path.join(root, 'reproduced')], EXIT_CODES.NOT_FOUND],
    // Without a server: --stop says none runs; a non-loopback --host is refused before anything starts.
    ['serve', 'success', () => ['serve', '--stop'], 0],
    ['serve', 'failure', () => ['serve', '--host', '0.0.0.0'], EXIT_CODES.INVALID_ARGUMENT],
    ['watch', 'failure', () => ['watch', '--models', 'out', '--dataset', 'train=no-such-dir'], EXIT_CODES.INVALID_ARGUMENT],
    ['status', 'success', () => ['status'], 0],
    ['status', 'failure', () => ['status'], EXIT_CODES.NOT_INITIALIZED, () => root],
    ['--help', 'success', () => ['--help'], 0],
    ['--help', 'success', () => ['history', '--help'], 0],
    ['--version', 'success', () => ['--version'], 0],
    ['(no command)', 'failure', () => [], EXIT_CODES.INVALID_ARGUMENT],
    ['(unknown command)', 'failure', () => ['bogus'], EXIT_CODES.INVALID_ARGUMENT],
    ['(bad option)', 'failure', () => ['get', 'models/m', '--colour', 'red'], EXIT_CODES.INVALID_ARGUMENT],
];

/** Commands whose success needs more than an embedded project, and the test that covers it with --json. */
const SUCCESS_ELSEWHERE: Record<string, string> = {
    enroll: 'cli-fabric.fabric.int.test.ts (needs a Fabric CA)',
    run: 'cli-epoch.int.test.ts (needs a committed run)',
    diff: 'cli-answers.int.test.ts (needs two committed epochs)',
    reproduce: 'cli-answers.int.test.ts (needs a committed run)',
    // Runs until a signal and prints one JSON event per line, not one document.
    watch: 'cli-watch.int.test.ts (--json event lines until SIGINT)',
};

describe('hyperprov --json', { timeout: 60_000 }, () => {
    it('the cases cover every registered command, succeeding and failing', () => {
        const covered = new Set([...cases.map(([command, mode]) => `${command} ${mode}`), ...Object.keys(SUCCESS_ELSEWHERE).map((name) => `${name} success`)]);
        for (const { name } of cliCommands()) {
            expect(covered.has(`${name} success`), `${name} success`).toBe(true);
            expect(covered.has(`${name} failure`), `${name} failure`).toBe(true);
        }
    });

    it.each(cases)('%s (%s): exactly one JSON document on stdout, nothing on stderr', async (_command, _mode, args, code, cwd) => {
        const run = await hp(args(), cwd?.());
        expect(run.code, run.stdout + run.stderr).toBe(code);
        expect(run.stderr).toBe('');
        // JSON.parse accepts one document and surrounding whitespace, nothing more.
        let doc: any;
        expect(() => (doc = JSON.parse(run.stdout)), run.stdout).not.toThrow();
        expect(typeof doc === 'object' && doc !== null).toBe(true);
        if (code !== 0 && 'error' in doc) {
            expect(Object.keys(doc)).toEqual(['error']);
            expect(doc.error).toEqual({ code: expect.any(String), message: expect.any(String), hint: expect.any(String), exitCode: code });
        }
    });

    it('--version and --help are documents with the text in one field', async () => {
        expect((await hp(['--version'])).json()).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
        expect((await hp(['get', '--help'])).json()).toEqual({ help: expect.stringContaining('hyperprov get <key>') });
    });
});

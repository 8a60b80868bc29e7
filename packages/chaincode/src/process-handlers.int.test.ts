/**
 * Loading the contract must not change how the host process crashes: fabric-contract-api's logger
 * installs "log and carry on" handlers, which process-handlers.ts takes back.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const distIndex = join(__dirname, '..', 'dist', 'index.js');

function runAfterLoading(body: string): { status: number | null; stderr: string } {
    if (!existsSync(distIndex)) throw new Error(`${distIndex} is missing: run "npm run build" in packages/chaincode first`);
    const script = `require(${JSON.stringify(distIndex)});\n${body}`;
    const res = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    return { status: res.status, stderr: res.stderr };
}

describe('process handlers after loading the contract', () => {
    it('leaves no uncaughtException or unhandledRejection handler behind', () => {
        const res = runAfterLoading(
            `if (process.listeners('uncaughtException').length + process.listeners('unhandledRejection').length !== 0) process.exit(3);`,
        );
        expect(res.status).toBe(0);
    });

    it('an uncaught exception still crashes the process with a non-zero exit', () => {
        const res = runAfterLoading(`setTimeout(() => { throw new Error('boom-from-host'); }, 1);`);
        expect(res.status).not.toBe(0);
        expect(res.stderr).toContain('boom-from-host');
    });

    it('an unhandled rejection still crashes the process with a non-zero exit', () => {
        const res = runAfterLoading(`Promise.reject(new Error('rejected-in-host'));`);
        expect(res.status).not.toBe(0);
        expect(res.stderr).toContain('rejected-in-host');
    });
});

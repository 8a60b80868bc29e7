/**
 * kill -9 of a process in the middle of a large put: no object becomes visible; the orphaned
 * multipart upload is removed by the stale-upload sweep of the next store opened on that prefix.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { afterAll, expect, it } from 'vitest';
import { inject } from 'vitest';
import { emptyPrefix, listKeys, listUploads, openTestStore, rawClient } from './testing/test-store.js';

const target = inject('s3');
const client = rawClient(target);
const child = fileURLToPath(new URL('../fixtures/put-until-killed.mjs', import.meta.url));
const built = fileURLToPath(new URL('../dist/index.js', import.meta.url));
afterAll(() => client.destroy());

it('kill -9 mid-upload leaves no visible object; the next store sweeps the orphaned upload', async () => {
    expect(existsSync(built), 'the child runs the built store: run `npm run build` in packages/storage-s3 first').toBe(true);
    const prefix = `crash/${randomUUID()}`;
    const proc = spawn(process.execPath, [child], {
        env: { ...process.env, HP_S3_TARGET: JSON.stringify({ ...target, prefix }) },
        stdio: ['ignore', 'pipe', 'inherit'],
    });
    let uploaded = 0;
    let output = '';
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => proc.once('exit', (code, signal) => resolve(signal ?? code)));
    await new Promise<void>((resolve, reject) => {
        proc.stdout.setEncoding('utf8').on('data', (text: string) => {
            output += text;
            const last = /progress (\d+)\n[^\n]*$/.exec(output);
            if (last) uploaded = Number(last[1]);
            if (uploaded >= 64 * 1024 * 1024) resolve();
        });
        void exited.then(() => reject(new Error(`child exited before the kill: ${output.slice(-500)}`)));
    });
    proc.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    expect(await listKeys(client, target.bucket, `${prefix}/`)).toEqual([]);
    const orphans = await listUploads(client, target.bucket, `${prefix}/`);
    expect(orphans, 'the killed process could not abort its upload').toHaveLength(1);

    // A young upload might belong to a live writer: the default age (24 h) keeps it...
    const patient = openTestStore(target, { prefix });
    expect(await patient.abortStaleUploads()).toEqual([]);
    await patient.close();
    // ...a store configured with a short age sweeps it on first use, in the background of a put.
    const store = openTestStore(target, { prefix, staleUploadAgeMs: 1 });
    await store.put(Readable.from([Buffer.from('after the crash')]));
    await store.close(); // waits for the sweep
    expect(await listUploads(client, target.bucket, `${prefix}/`)).toEqual([]);
    expect(await listKeys(client, target.bucket, `${prefix}/`)).toHaveLength(1);
    await emptyPrefix(client, target.bucket, `${prefix}/`);
});

/**
 * Every `hyperprov` command on a real Fabric network (3 Raft orderers, two organisations, the
 * contract as a service, a Fabric CA per organisation), through the built binary: init from the
 * network's connection file, the data path, verify --ledger, enroll with the CA, and the
 * creators of two organisations' users in one key's history.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { chmod, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ProvenanceRecord } from '@hyperprov/chaincode/protocol';
import { EXIT_CODES } from '@hyperprov/errors';
// Declares what inject() gets: fabric-network's globalSetup (vitest.config.ts) provides it.
import type {} from '@hyperprov/fabric-network/testing';
import { CLI_MAIN, ensureCliBuilt, runHyperprov } from './testing/cli-process.js';
import { projectCli } from './testing/project-cli.js';

const connection = inject('fabricConnection');
const network = inject('fabricNetwork');
/** The network's own CLI, to take orderers down and up. */
const NETWORK_BIN = path.join(path.dirname(createRequire(import.meta.url).resolve('@hyperprov/fabric-network/package.json')), 'bin', 'hyperprov-network.js');
const run = randomBytes(3).toString('hex');
let root: string;
let org1: string;
let org2: string;
const one = projectCli(() => org1);
const two = projectCli(() => org2);

beforeAll(async () => {
    ensureCliBuilt();
    root = await mkdtemp(path.join(tmpdir(), 'hp-cli-fabric-'));
    org1 = path.join(root, 'org1');
    org2 = path.join(root, 'org2');
});

afterAll(async () => {
    await rm(root, { recursive: true, force: true });
});

describe('hyperprov on Fabric', () => {
    let model: ProvenanceRecord;
    let data: ProvenanceRecord;
    const bytes = randomBytes(300_000);

    it('init --ledger fabric copies the connection (without user keys) and the user into the project', async () => {
        const init = await runHyperprov(['init', '--dir', org1, '--ledger', 'fabric', '--connection', connection, '--json'], { cwd: root });
        expect(init.code, init.stdout + init.stderr).toBe(0);
        expect(init.json().config.ledger).toEqual({ backend: 'fabric', connection: 'fabric-connection.json', org: 'Org1' });
        expect(init.json().identity.mspId).toBe('Org1MSP');
        const copy = JSON.parse(await readFile(path.join(org1, '.hyperprov', 'fabric-connection.json'), 'utf8'));
        expect(copy.organizations.map((o: { name: string; users?: unknown }) => [o.name, o.users])).toEqual([
            ['Org1', undefined],
            ['Org2', undefined],
        ]);
        expect((await stat(path.join(org1, '.hyperprov', 'identity', 'key.pem'))).mode & 0o777).toBe(0o600);
        const status = await one.ok('status');
        expect(status.ledger.backend).toBe('fabric');
        expect(status.identity).toEqual({ mspId: 'Org1MSP', subject: expect.stringContaining('CN=User1@org1.example.com') });
    });

    it('records epochs of a run through the outbox, and runs/run answer from the contract index', async () => {
        await writeFile(path.join(org1, 'ckpt.pt'), 'epoch 0 weights');
        const first = await one.ok('epoch', 'ckpt.pt', '--key', `fabric-runs/${run}/ckpt`, '--epoch', '0', '--metrics', '{"loss":0.9}', '--run', `fabric-${run}`);
        await writeFile(path.join(org1, 'ckpt.pt'), 'epoch 1 weights');
        const second = await one.ok('epoch', 'ckpt.pt', '--key', `fabric-runs/${run}/ckpt`, '--epoch', '1', '--metrics', '{"loss":0.7}', '--run', `fabric-${run}`);
        expect(second.record.dependencies).toEqual([first.record.id]);
        expect(second.record.creator.mspId).toBe('Org1MSP');
        const details = await one.ok('run', `fabric-${run}`);
        expect(details.summary).toMatchObject({ epochs: 2, lastEpoch: 1, lastMetrics: { loss: 0.7 }, lastRecordId: second.record.id });
        expect(details.records.items.map((r: ProvenanceRecord) => r.id)).toEqual([first.record.id, second.record.id]);
        const runs = await one.ok('runs', '--page-size', '1000');
        expect(runs.items.map((r: { run: string }) => r.run)).toContain(`fabric-${run}`);

        // The answers on Fabric: diff names the changed metric, reproduce writes the checked bytes,
        // and a flipped byte in the stored object fails it, leaving nothing.
        const diff = await one.ok('diff', first.record.id, second.record.id);
        expect(diff.metrics.changed.loss).toEqual({ a: 0.9, b: 0.7 });
        const report = await one.ok('reproduce', '--run', `fabric-${run}`, '--epoch', '0', 'repro-fabric');
        expect(report.model.id).toBe(first.record.id);
        expect(await readFile(path.join(org1, 'repro-fabric', report.model.path), 'utf8')).toBe('epoch 0 weights');
        const hex = second.record.checksum.slice('sha256:'.length);
        const object = path.join(org1, '.hyperprov', 'objects', 'sha256', hex.slice(0, 2), hex.slice(2));
        await chmod(object, 0o600);
        await writeFile(object, 'epoch 1 weightz');
        const broken = await runHyperprov(['reproduce', second.record.id, 'repro-broken', '--json'], { cwd: org1 });
        expect(broken.code).toBe(EXIT_CODES.CHECKSUM_MISMATCH);
        expect((await readdir(org1)).filter((name) => name.includes('repro-broken'))).toEqual([]);
    });

    it('records, reads, checks, fetches and collects garbage through the gateway', async () => {
        await writeFile(path.join(org1, 'train.csv'), 'a,b\n1,2\n');
        await writeFile(path.join(org1, 'model.bin'), bytes);
        const dataset = await one.ok('dataset', org1, '--key', `fabric/${run}/data`, '--include', '*.csv');
        data = await one.ok('show', dataset.record.id);
        model = await one.ok('record', 'model.bin', '--key', `fabric/${run}/model`, '--dep', data.id, '--meta', '{"epoch":1}');
        expect(model).toMatchObject({ key: `fabric/${run}/model`, size: bytes.length, dependencies: [data.id], creator: { mspId: 'Org1MSP' } });
        // The record id is the Fabric transaction id (a lone set may share a transaction: <txId>.<n>).
        expect(model.id).toMatch(/^[0-9a-f]{64}(\.\d+)?$/);
        expect(await one.ok('get', `fabric/${run}/model`)).toEqual(model);
        expect(await one.ok('show', model.id)).toEqual(model);
        const put = await one.ok('put', '--key', `fabric/${run}/external`, '--checksum', `sha256:${'a'.repeat(64)}`, '--location', 'https://example.com/m', '--pointer', 'm', '--size', '3');
        expect(put.key).toBe(`fabric/${run}/external`);
        const range = await one.ok('range', `fabric/${run}/`, `fabric/${run}0`, '--all');
        expect(range.items.map((r: ProvenanceRecord) => r.key).sort()).toEqual([`fabric/${run}/data`, `fabric/${run}/external`, `fabric/${run}/model`]);
        const lineage = await one.ok('lineage', model.id);
        expect(lineage.edges[model.id]).toEqual([data.id]);
        expect(Object.keys((await one.ok('lineage', data.id, '--down')).records)).toContain(model.id);
        expect((await one.ok('check', 'model.bin')).records.map((r: ProvenanceRecord) => r.id)).toContain(model.id);
        await one.ok('fetch', model.id, 'out/model.bin');
        expect((await readFile(path.join(org1, 'out', 'model.bin'))).equals(bytes)).toBe(true);
        const history = await one.ok('history', `fabric/${run}/model`);
        expect(history.items.map((r: ProvenanceRecord) => r.id)).toEqual([model.id]);
        // gc reads every record's pointer from the network: all stored objects are referenced.
        const gc = await one.ok('gc');
        expect(gc.orphans).toEqual([]);
        expect(gc.referenced).toBe(gc.objects);
    });

    it('verify --ledger checks the chain on both organisations\' peers', async () => {
        const report = await one.ok('verify', model.id, '--ledger');
        expect(report.ok).toBe(true);
        expect(JSON.stringify(report)).toMatch(/block/i);
        expect(report.ledger.notes).toEqual(expect.arrayContaining([expect.stringMatching(/^Org2's peer .* agrees up to block \d+/)]));
    });

    it('a user of the other organisation writing the same key shows as a distinct creator', async () => {
        const init = await runHyperprov(['init', '--dir', org2, '--ledger', 'fabric', '--connection', connection, '--org', 'Org2', '--json'], { cwd: root });
        expect(init.code, init.stdout + init.stderr).toBe(0);
        await writeFile(path.join(org2, 'model.bin'), randomBytes(1000));
        const second = await two.ok('record', 'model.bin', '--key', `fabric/${run}/model`, '--dep', model.id);
        expect(second.creator.mspId).toBe('Org2MSP');
        const history = await one.ok('history', `fabric/${run}/model`);
        expect(history.items.map((r: ProvenanceRecord) => [r.id, r.creator.mspId])).toEqual([
            [second.id, 'Org2MSP'],
            [model.id, 'Org1MSP'],
        ]);
        expect(history.items[0].creator.id).toMatch(/CN=User1@org2\.example\.com/);
    });

    it('enroll registers a user with attributes at the CA; later records carry it as creator', async () => {
        const user = `alice-${run}`;
        const enrolled = await one.ok('enroll', '--user', user, '--attr', 'role=auditor');
        expect(enrolled).toMatchObject({ user, mspId: 'Org1MSP', registered: true, attributes: [{ name: 'role', value: 'auditor' }] });
        expect(enrolled.subject).toContain(`CN=${user}`);
        expect((await stat(path.join(enrolled.identityDir, 'key.pem'))).mode & 0o777).toBe(0o600);
        expect((await one.ok('status')).identity.subject).toContain(`CN=${user}`);
        await writeFile(path.join(org1, 'next.bin'), randomBytes(500));
        const next = await one.ok('record', 'next.bin', '--key', `fabric/${run}/model`, '--dep', model.id);
        expect(next.creator.id).toMatch(new RegExp(`CN=${user}`));
        // Registering the same user again is refused, and says how to enroll instead.
        const again = await one.hp('enroll', '--user', user, '--json');
        expect(again.code).toBe(EXIT_CODES.ALREADY_EXISTS);
        expect(again.json().error.message).toMatch(/--secret/);
    });

    it('enroll with a wrong secret is refused and the project keeps signing as before', async () => {
        const before = (await one.ok('status')).identity;
        const wrong = await one.hp('enroll', '--user', 'admin', '--secret', 'not-the-secret', '--json');
        expect(wrong.code).toBe(EXIT_CODES.PERMISSION_DENIED);
        expect((await one.ok('status')).identity).toEqual(before);
    });

    it('refuses Fabric options without a connection, and enroll on an embedded project', async () => {
        const bare = path.join(root, 'bare');
        const noConnection = await runHyperprov(['init', '--dir', bare, '--ledger', 'fabric', '--json'], { cwd: root });
        expect(noConnection.code).toBe(EXIT_CODES.INVALID_ARGUMENT);
        expect(noConnection.json().error.message).toMatch(/--connection/);
        const stray = await runHyperprov(['init', '--dir', bare, '--connection', connection, '--json'], { cwd: root });
        expect(stray.code).toBe(EXIT_CODES.INVALID_ARGUMENT);
        expect(stray.json().error.message).toMatch(/--ledger fabric/);
        const missing = await runHyperprov(['init', '--dir', bare, '--ledger', 'fabric', '--connection', path.join(root, 'nope.json'), '--json'], { cwd: root });
        expect(missing.code).not.toBe(0);
        await expect(readdir(bare)).rejects.toThrow();
        const embedded = await runHyperprov(['init', '--dir', bare, '--json'], { cwd: root });
        expect(embedded.code).toBe(0);
        const enroll = await runHyperprov(['enroll', '--user', 'bob', '--json'], { cwd: bare });
        expect(enroll.code).toBe(EXIT_CODES.INVALID_ARGUMENT);
        expect(enroll.json().error.message).toMatch(/embedded ledger/);
    });
    // A network given by HYPERPROV_FABRIC_CONNECTION is not ours to stop.
    it.skipIf(!network.owned)('a ledger outage while watching: with two of three orderers down the checkpoint waits in the outbox, and is recorded once when they are back', async () => {
        const networkCli = (...args: string[]) =>
            new Promise<number | null>((resolve) => spawn(process.execPath, [NETWORK_BIN, ...args, '--dir', network.dir], { stdio: 'ignore' }).on('exit', resolve));
        await mkdir(path.join(org1, 'watched'), { recursive: true });
        const child = spawn(process.execPath, [CLI_MAIN, 'watch', '--models', 'watched', '--key', `fabric-watch/${run}`, '--run', `fw-${run}`, '--settle', '300', '--json'], { cwd: org1, stdio: ['ignore', 'pipe', 'inherit'] });
        const events: any[] = [];
        createInterface({ input: child.stdout! }).on('line', (line) => events.push(JSON.parse(line)));
        const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
        const until = async (condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000) => {
            const deadline = Date.now() + timeoutMs;
            while (!(await condition())) {
                if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
        };
        try {
            await until(() => events.some((e) => e.event === 'ready'), 'the watcher ready');
            expect(await networkCli('stop-node', 'orderer1')).toBe(0);
            expect(await networkCli('stop-node', 'orderer2')).toBe(0);
            const bytes = randomBytes(200_000);
            await writeFile(path.join(org1, 'watched', '.ckpt-epoch1.pt.tmp'), bytes);
            await rename(path.join(org1, 'watched', '.ckpt-epoch1.pt.tmp'), path.join(org1, 'watched', 'ckpt-epoch1.pt'));
            // Handed to the outbox, then nothing can commit while Raft has no quorum: the attempt
            // in flight either fails and is retried, or commits once the orderers are back.
            await until(() => events.some((e) => e.event === 'queued'), 'the checkpoint handed to the outbox');
            await new Promise((resolve) => setTimeout(resolve, 10_000));
            expect(events.some((e) => e.event === 'recorded')).toBe(false);
            expect(await networkCli('start-node', 'orderer1')).toBe(0);
            expect(await networkCli('start-node', 'orderer2')).toBe(0);
            await until(() => events.some((e) => e.event === 'recorded'), 'the checkpoint recorded after the outage', 180_000);
            child.kill('SIGTERM');
            expect(await exited).toBe(0);
            const history = await one.ok('history', `fabric-watch/${run}`);
            expect(history.items).toHaveLength(1);
            expect(history.items[0].checksum).toBe(`sha256:${createHash('sha256').update(bytes).digest('hex')}`);
        } finally {
            if (child.exitCode === null) child.kill('SIGKILL');
            await networkCli('start-node', 'orderer1');
            await networkCli('start-node', 'orderer2');
        }
    }, 420_000);
});

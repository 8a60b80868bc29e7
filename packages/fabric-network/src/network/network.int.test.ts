/**
 * The whole network against real processes: created from an empty folder, the contract answering,
 * a submit endorsed by both orgs committing on both peers, status, faults on a peer and a follower
 * orderer, the CAs, then down (no process, ports free) and a resume that keeps the ledger.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invokeChaincode, queryChaincode } from '../testing/peer-cli.js';
import { recordInput } from '../testing/records.js';
import type { FabricConnection } from './connection-file.js';
import { networkStatus, type NetworkStatus } from './network-status.js';
import { startNetwork, startNode, stopNetwork, stopNode } from './network.js';
import { httpsGet, portFree } from './readiness.js';
import { allPorts } from './topology.js';

const BASE_PORT = 20000;
let dir: string;
let upSeconds: number;

beforeAll(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'hyperprov-net-int-')), 'network');
    const result = await startNetwork({ dir, basePort: BASE_PORT, log: () => {} });
    upSeconds = result.elapsedMs / 1000;
    console.log(`[fabric-network] up from an empty folder: ${upSeconds.toFixed(1)} s`);
});

afterAll(async () => {
    await stopNetwork({ dir, wipe: true }).catch(() => {});
    await rm(join(dir, '..'), { recursive: true, force: true });
});

async function heights(): Promise<{ status: NetworkStatus; peers: number[]; orderers: number[] }> {
    const status = await networkStatus({ dir });
    const of = (kind: string): number[] => status.nodes.filter((n) => n.kind === kind && n.running).map((n) => n.height ?? -1);
    return { status, peers: of('peer'), orderers: of('orderer') };
}

/** Waits until every running peer and orderer reports the same height, at least `min`. */
async function converged(min: number, timeoutMs = 30_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const { peers, orderers } = await heights();
        const all = [...peers, ...orderers];
        if (all.every((h) => h === all[0]) && (all[0] ?? -1) >= min) return all[0] as number;
        if (Date.now() > deadline) throw new Error(`heights did not converge to >= ${min}: peers ${peers.join(',')}, orderers ${orderers.join(',')}`);
        await sleep(250);
    }
}

describe('a network from an empty folder', () => {
    it('comes up within 20 s with every node running and the contract answering', async () => {
        expect(upSeconds).toBeLessThan(20);
        const status = await networkStatus({ dir });
        expect(status.running).toBe(true);
        expect(status.nodes.map((n) => n.name)).toEqual(['orderer1', 'orderer2', 'orderer3', 'peer0.org1', 'peer0.org2', 'ca.org1', 'ca.org2', 'chaincode']);
        const metadata = JSON.parse(await queryChaincode(dir, 'org.hyperledger.fabric:GetMetadata', [])) as { contracts: Record<string, unknown> };
        expect(Object.keys(metadata.contracts)).toContain('provenance');
    });

    it('writes the connection file in the agreed format', async () => {
        const connection = JSON.parse(await readFile(join(dir, 'connection.json'), 'utf8')) as FabricConnection;
        expect(connection).toMatchObject({ format: 'hyperprov-fabric-connection/1', channel: 'hyperprov', chaincode: 'hyperprov', endorsingOrganizations: ['Org1MSP', 'Org2MSP'] });
        expect(connection.organizations.map((o) => [o.name, o.mspId, o.peers[0]?.endpoint, o.ca.url, o.ca.caName])).toEqual([
            ['Org1', 'Org1MSP', '127.0.0.1:20030', 'https://127.0.0.1:20050', 'ca-org1'],
            ['Org2', 'Org2MSP', '127.0.0.1:20040', 'https://127.0.0.1:20060', 'ca-org2'],
        ]);
        expect(connection.orderers.map((o) => [o.name, o.endpoint, o.adminUrl])).toEqual([
            ['orderer1.example.com', '127.0.0.1:20000', 'http://127.0.0.1:20001'],
            ['orderer2.example.com', '127.0.0.1:20010', 'http://127.0.0.1:20011'],
            ['orderer3.example.com', '127.0.0.1:20020', 'http://127.0.0.1:20021'],
        ]);
        for (const org of connection.organizations) {
            expect(org.peers[0]?.tlsRootCertPem).toMatch(/^-----BEGIN CERTIFICATE-----/);
            expect(org.ca.registrar).toEqual({ enrollId: 'admin', enrollSecret: 'adminpw' });
            for (const user of [org.users.User1, org.users.Admin]) {
                // Relative to the connection file's folder.
                expect(readFileSync(join(dir, user.certificate), 'utf8')).toMatch(/BEGIN CERTIFICATE/);
                expect(readFileSync(join(dir, user.privateKey), 'utf8')).toMatch(/BEGIN PRIVATE KEY/);
            }
        }
    });

    it('installed the package under the id the peer computes itself', async () => {
        const state = JSON.parse(await readFile(join(dir, 'network.json'), 'utf8')) as { packageId: string; fabricBinDir: string };
        const id = execFileSync(join(state.fabricBinDir, 'peer'), ['lifecycle', 'chaincode', 'calculatepackageid', join(dir, 'channel', 'hyperprov.tgz')], {
            env: { PATH: process.env.PATH, FABRIC_CFG_PATH: join(dir, 'config') },
            encoding: 'utf8',
        }).trim();
        expect(id).toBe(state.packageId);
    });

    it('commits a submit endorsed by both orgs, seen at the same height on both peers', async () => {
        const before = await converged(1);
        await invokeChaincode(dir, 'set', [recordInput('int/a')]);
        const after = await converged(before + 1);
        expect(after).toBeGreaterThan(before);
        for (const org of ['Org1', 'Org2']) {
            expect(JSON.parse(await queryChaincode(dir, 'get', ['int/a'], { org }))).toMatchObject({ key: 'int/a' });
        }
    });

    it('invalidates a submit endorsed by one org only (the MAJORITY policy is real)', async () => {
        await expect(invokeChaincode(dir, 'set', [recordInput('int/one-org')], { endorsers: ['Org1'] })).rejects.toThrow(/ENDORSEMENT_POLICY_FAILURE/);
    });

    it('reports 3 orderers with one Raft leader and equal heights', async () => {
        await converged(2);
        const { status, orderers } = await heights();
        expect(orderers).toHaveLength(3);
        const leaders = status.nodes.filter((n) => n.leader);
        expect(leaders).toHaveLength(1);
        expect(status.raftLeader).toBe(leaders[0]?.name);
        expect(new Set(orderers).size).toBe(1);
    });

    it('answers GET /cainfo on both CAs, with the org CA as signing CA', async () => {
        const connection = JSON.parse(await readFile(join(dir, 'connection.json'), 'utf8')) as FabricConnection;
        for (const org of connection.organizations) {
            const { status, body } = await httpsGet(`${org.ca.url}/cainfo?ca=${org.ca.caName}`, org.ca.tlsRootCertPem);
            expect(status).toBe(200);
            const info = JSON.parse(body) as { success: boolean; result: { CAName: string; CAChain: string } };
            expect(info.success).toBe(true);
            expect(info.result.CAName).toBe(org.ca.caName);
            const signing = readFileSync(join(dir, 'crypto', 'peerOrganizations', `${org.name.toLowerCase()}.example.com`, 'ca', `ca.${org.name.toLowerCase()}.example.com-cert.pem`), 'utf8');
            expect(Buffer.from(info.result.CAChain, 'base64').toString('utf8').trim()).toBe(signing.trim());
        }
    });

    it('is a no-op to bring up while it runs', async () => {
        const result = await startNetwork({ dir, log: () => {} });
        expect(result.action).toBe('running');
        expect(result.elapsedMs).toBeLessThan(5000);
    });
});

describe('faults', () => {
    it('a killed peer restarts with its ledger and catches up', async () => {
        expect(await stopNode({ dir, name: 'peer0.org2' })).toEqual({ name: 'peer0.org2', wasRunning: true });
        expect((await networkStatus({ dir })).nodes.find((n) => n.name === 'peer0.org2')?.running).toBe(false);
        await startNode({ dir, name: 'peer0.org2' });
        const before = await converged(1);
        await invokeChaincode(dir, 'set', [recordInput('int/after-peer-restart')]);
        await converged(before + 1);
        expect(JSON.parse(await queryChaincode(dir, 'get', ['int/after-peer-restart'], { org: 'Org2' }))).toMatchObject({ key: 'int/after-peer-restart' });
    });

    it('a killed follower orderer does not stop submits, and catches up after restart', async () => {
        const { status } = await heights();
        const follower = status.nodes.find((n) => n.kind === 'orderer' && n.leader === false && n.name !== 'orderer1')?.name ?? 'orderer2';
        await stopNode({ dir, name: follower });
        const before = (await heights()).peers[0] as number;
        // orderer1 may be the follower that was stopped: submit through a running one.
        const through = ['orderer1', 'orderer2', 'orderer3'].find((n) => n !== follower) as string;
        await invokeChaincode(dir, 'set', [recordInput('int/follower-down')], { orderer: through });
        await startNode({ dir, name: follower });
        await converged(before + 1);
    });

    it('a killed Raft leader is replaced within seconds and submits go on', async () => {
        const { status } = await heights();
        const leader = status.raftLeader as string;
        expect(leader).toMatch(/^orderer[123]$/);
        const killed = Date.now();
        await stopNode({ dir, name: leader });
        let next: string | undefined;
        while (!next && Date.now() - killed < 15_000) {
            next = (await networkStatus({ dir })).nodes.find((n) => n.leader && n.name !== leader)?.name;
            if (!next) await sleep(100);
        }
        const electedMs = Date.now() - killed;
        expect(next, 'no new leader within 15 s').toBeDefined();
        const before = (await heights()).peers[0] as number;
        await invokeChaincode(dir, 'set', [recordInput('int/leader-killed')], { orderer: next as string });
        console.log(`[fabric-network] leader ${leader} killed: new leader ${next} after ${electedMs} ms, first commit after ${Date.now() - killed} ms`);
        await startNode({ dir, name: leader });
        await converged(before + 1);
    });

    it('stops gracefully with SIGTERM too', async () => {
        expect((await stopNode({ dir, name: 'chaincode', signal: 'SIGTERM' })).wasRunning).toBe(true);
        await startNode({ dir, name: 'chaincode' });
        expect(JSON.parse(await queryChaincode(dir, 'get', ['int/a']))).toMatchObject({ key: 'int/a' });
    });
});

describe('down and resume', () => {
    it('down leaves no process and frees every port', async () => {
        const pids = (await networkStatus({ dir })).nodes.map((n) => n.pid as number);
        expect(pids.every((pid) => pid > 0)).toBe(true);
        const result = await stopNetwork({ dir });
        expect(result.stopped).toHaveLength(8);
        for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
        for (const port of allPorts(BASE_PORT)) expect(await portFree(port)).toBe(true);
        expect((await networkStatus({ dir })).nodes.every((n) => !n.running)).toBe(true);
    });

    it('up again resumes the same ledger', async () => {
        const result = await startNetwork({ dir, log: () => {} });
        console.log(`[fabric-network] resume up: ${(result.elapsedMs / 1000).toFixed(1)} s`);
        expect(result.action).toBe('resumed');
        expect(JSON.parse(await queryChaincode(dir, 'get', ['int/a']))).toMatchObject({ key: 'int/a' });
        await invokeChaincode(dir, 'set', [recordInput('int/after-resume')]);
        expect(JSON.parse(await queryChaincode(dir, 'get', ['int/after-resume'], { org: 'Org2' }))).toMatchObject({ key: 'int/after-resume' });
    });

    it('down --wipe removes the folder', async () => {
        const result = await stopNetwork({ dir, wipe: true });
        expect(result.wiped).toBe(true);
        await expect(readFile(join(dir, 'network.json'))).rejects.toThrow(/ENOENT/);
    });
});

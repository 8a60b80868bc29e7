/**
 * Joining the channel: each orderer through its channel participation API (a multipart POST of the
 * genesis block, what `osnadmin channel join` sends), each peer with `peer channel join` as its org
 * Admin. Both skip a node that has the channel already, so a resumed `up` can run them again.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import { runCommand } from '../run-command.js';
import { peerAdminEnv } from './node-specs.js';
import { CHANNEL, ORDERERS, ORGS, portsOf } from './topology.js';

export function genesisBlockFile(dir: string): string {
    return join(dir, 'channel', `${CHANNEL}.block`);
}

export async function joinOrderers(dir: string, basePort: number): Promise<void> {
    const block = await readFile(genesisBlockFile(dir));
    await Promise.all(
        ORDERERS.map(async (name) => {
            const api = `http://127.0.0.1:${portsOf(name, basePort).admin}/participation/v1/channels`;
            const existing = await fetch(`${api}/${CHANNEL}`);
            await existing.arrayBuffer();
            if (existing.ok) return;
            const form = new FormData();
            form.append('config-block', new Blob([block]), `${CHANNEL}.block`);
            const response = await fetch(api, { method: 'POST', body: form });
            const body = await response.text();
            if (response.status !== 201) throw new TrackerError('LEDGER_UNAVAILABLE', `${name} refused to join ${CHANNEL} (HTTP ${response.status}): ${body}`);
        }),
    );
}

export async function joinPeers(dir: string, basePort: number, peer: string): Promise<void> {
    await Promise.all(
        ORGS.map(async (org) => {
            const env = peerAdminEnv(dir, basePort, org.name);
            const { stdout } = await runCommand(peer, ['channel', 'list'], { env, timeoutMs: 30_000 });
            if (stdout.split('\n').some((line) => line.trim() === CHANNEL)) return;
            await runCommand(peer, ['channel', 'join', '-b', genesisBlockFile(dir)], { env, timeoutMs: 60_000 });
        }),
    );
}

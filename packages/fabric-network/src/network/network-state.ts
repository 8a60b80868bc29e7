/**
 * `<dir>/network.json`: everything needed to run the network again without regenerating it: the
 * base port, the chaincode package id, every node's stored spec, and which one-time steps
 * (channel joins, chaincode definition) are done, so an interrupted `up` resumes where it stopped.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import { writeFileAtomic } from './atomic-file.js';
import type { NodeSpec } from './node-specs.js';

export const STATE_FORMAT = 'hyperprov-fabric-network/1';

export interface NetworkState {
    format: typeof STATE_FORMAT;
    basePort: number;
    createdAt: string;
    fabricVersion: string;
    fabricCaVersion: string;
    /** Folder of the Fabric binaries the network was made with (the peer CLI used for admin steps). */
    fabricBinDir: string;
    packageId: string;
    /** The one-time steps done so far. */
    steps: { channelJoined: boolean; chaincodeCommitted: boolean };
    nodes: NodeSpec[];
}

export function stateFile(dir: string): string {
    return join(dir, 'network.json');
}

/** The stored state, or undefined when `dir` holds no network. */
export async function readState(dir: string): Promise<NetworkState | undefined> {
    let text: string;
    try {
        text = await readFile(stateFile(dir), 'utf8');
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
    }
    const state = JSON.parse(text) as NetworkState;
    if (state.format !== STATE_FORMAT) {
        throw new TrackerError('LEDGER_CORRUPT', `${stateFile(dir)} has format ${JSON.stringify(state.format)}, expected ${STATE_FORMAT}; remove the folder with \`hyperprov-network down --wipe --dir ${dir}\` and bring it up again`);
    }
    return state;
}

export async function writeState(dir: string, state: NetworkState): Promise<void> {
    await writeFileAtomic(stateFile(dir), `${JSON.stringify(state, null, 2)}\n`);
}

export function specOf(state: NetworkState, name: string): NodeSpec {
    const spec = state.nodes.find((n) => n.name === name);
    if (!spec) throw new TrackerError('INVALID_ARGUMENT', `no node ${JSON.stringify(name)} in this network; the nodes are ${state.nodes.map((n) => n.name).join(', ')}`);
    return spec;
}

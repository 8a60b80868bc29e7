/**
 * `status`: per node whether its process runs, its pid and ports; per peer and orderer the block
 * height of the channel (peers: `ledger_blockchain_height` from /metrics, or qscc through the peer
 * CLI before the first block of this process run; orderers: the participation API), and which
 * orderer is the Raft leader (`consensus_etcdraft_is_leader`).
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCommand } from '../run-command.js';
import { connectionFile } from './connection-file.js';
import { fetchMetrics, metricValue } from './metrics.js';
import { readState, type NetworkState } from './network-state.js';
import { peerAdminEnv, type NodeSpec } from './node-specs.js';
import { runningPid } from './processes.js';
import { CHANNEL, orgOf, type NodeKind, type NodePorts } from './topology.js';

export interface NodeStatus {
    name: string;
    kind: NodeKind;
    running: boolean;
    pid?: number;
    ports: NodePorts;
    /** Orderers and peers: channel height (blocks), when the node answers. */
    height?: number;
    /** Orderers: whether this one is the Raft leader of the channel. */
    leader?: boolean;
    /** Peers: how many other peers of the channel it knows through gossip (the gateway finds endorsers of other orgs so). */
    knownPeers?: number;
}

export interface NetworkStatus {
    dir: string;
    /** False when `dir` holds no network (yet). */
    exists: boolean;
    basePort?: number;
    channel: string;
    /** Every node runs. */
    running: boolean;
    nodes: NodeStatus[];
    /** The orderer that reports itself Raft leader, if any. */
    raftLeader?: string;
    /** The connection file, once `up` has written it. */
    connectionFile?: string;
}

export async function networkStatus(options: { dir: string }): Promise<NetworkStatus> {
    const dir = resolve(options.dir);
    const state = await readState(dir);
    if (!state) return { dir, exists: false, channel: CHANNEL, running: false, nodes: [] };
    const nodes = await Promise.all(state.nodes.map((spec) => nodeStatus(dir, state, spec)));
    const file = connectionFile(dir);
    const leader = nodes.find((n) => n.leader)?.name;
    return {
        dir,
        exists: true,
        basePort: state.basePort,
        channel: CHANNEL,
        running: nodes.every((n) => n.running),
        nodes,
        ...(leader ? { raftLeader: leader } : {}),
        ...(existsSync(file) ? { connectionFile: file } : {}),
    };
}

async function nodeStatus(dir: string, state: NetworkState, spec: NodeSpec): Promise<NodeStatus> {
    const pid = await runningPid(dir, spec.name);
    const status: NodeStatus = { name: spec.name, kind: spec.kind, running: pid !== undefined, ...(pid !== undefined ? { pid } : {}), ports: spec.ports };
    if (pid === undefined) return status;
    const operations = `http://127.0.0.1:${spec.ports.operations}`;
    if (spec.kind === 'orderer') {
        const metrics = await fetchMetrics(operations);
        const leader = metrics === undefined ? undefined : metricValue(metrics, 'consensus_etcdraft_is_leader', { channel: CHANNEL });
        if (leader !== undefined) status.leader = leader === 1;
        const height = await ordererHeight(spec.ports.admin as number);
        if (height !== undefined) status.height = height;
    } else if (spec.kind === 'peer') {
        const metrics = await fetchMetrics(operations);
        const height = (metrics === undefined ? undefined : metricValue(metrics, 'ledger_blockchain_height', { channel: CHANNEL })) ?? (await peerHeight(dir, state, spec.name));
        if (height !== undefined) status.height = height;
        const known = metrics === undefined ? undefined : metricValue(metrics, 'gossip_membership_total_peers_known', { channel: CHANNEL });
        if (known !== undefined) status.knownPeers = known;
    }
    return status;
}

async function ordererHeight(adminPort: number): Promise<number | undefined> {
    try {
        const response = await fetch(`http://127.0.0.1:${adminPort}/participation/v1/channels/${CHANNEL}`, { signal: AbortSignal.timeout(3000) });
        if (!response.ok) return undefined;
        return ((await response.json()) as { height?: number }).height;
    } catch {
        return undefined;
    }
}

/** qscc GetChainInfo through the peer CLI: the height even before this peer process committed a block. */
async function peerHeight(dir: string, state: NetworkState, peerName: string): Promise<number | undefined> {
    try {
        const { stdout } = await runCommand(join(state.fabricBinDir, 'peer'), ['channel', 'getinfo', '-c', CHANNEL], { env: peerAdminEnv(dir, state.basePort, orgOf(peerName).name), timeoutMs: 15_000 });
        const info = /Blockchain info:\s*(\{.*\})/.exec(stdout)?.[1];
        return info ? (JSON.parse(info) as { height?: number }).height : undefined;
    } catch {
        return undefined;
    }
}

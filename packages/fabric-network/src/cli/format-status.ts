/** The text form of `status` (and of `up`): one line per node. */
import type { NetworkStatus } from '../network/network-status.js';

export function formatStatus(status: NetworkStatus): string {
    if (!status.exists) return `no network in ${status.dir}`;
    const lines = [`network ${status.dir} (base port ${status.basePort}, channel ${status.channel}): ${status.running ? 'running' : 'not fully running'}`];
    for (const node of status.nodes) {
        const ports = Object.entries(node.ports)
            .map(([kind, port]) => `${kind} ${port}`)
            .join(', ');
        const extra = [node.height === undefined ? '' : `height ${node.height}`, node.leader ? 'raft leader' : ''].filter(Boolean).join(', ');
        lines.push(`  ${node.name.padEnd(11)} ${node.running ? `running pid ${node.pid}`.padEnd(20) : 'stopped'.padEnd(20)} ${ports}${extra ? `  [${extra}]` : ''}`);
    }
    if (status.connectionFile) lines.push(`connection file: ${status.connectionFile}`);
    return lines.join('\n');
}

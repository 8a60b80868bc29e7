import { describe, expect, it } from 'vitest';
import { metricValue } from './metrics.js';

const TEXT = `# HELP ledger_blockchain_height Height of the chain in blocks.
# TYPE ledger_blockchain_height gauge
ledger_blockchain_height{channel="hyperprov"} 7
ledger_blockchain_height{channel="other"} 2
consensus_etcdraft_is_leader{channel="hyperprov"} 1
consensus_etcdraft_is_leader_total 3
`;

describe('metricValue', () => {
    it('reads the sample for the channel asked for', () => {
        expect(metricValue(TEXT, 'ledger_blockchain_height', { channel: 'hyperprov' })).toBe(7);
        expect(metricValue(TEXT, 'ledger_blockchain_height', { channel: 'other' })).toBe(2);
        expect(metricValue(TEXT, 'consensus_etcdraft_is_leader', { channel: 'hyperprov' })).toBe(1);
    });

    it('does not confuse a metric with one whose name extends it', () => {
        expect(metricValue(TEXT, 'consensus_etcdraft_is_leader')).toBe(1);
        expect(metricValue(TEXT, 'ledger_blockchain_height', { channel: 'missing' })).toBeUndefined();
    });
});

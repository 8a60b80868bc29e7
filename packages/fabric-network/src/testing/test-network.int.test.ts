/** The testing entry other packages use: a network in a temporary folder, and nothing left after stop(). */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { portFree } from '../network/readiness.js';
import { allPorts } from '../network/topology.js';
import { queryChaincode } from './peer-cli.js';
import { startTestNetwork } from './test-network.js';

describe('startTestNetwork', () => {
    it('starts a network in a temporary folder and stop() leaves no process, port or folder', async () => {
        const network = await startTestNetwork({ basePort: 20200, log: () => {} });
        let pids: number[] = [];
        try {
            expect(existsSync(network.connectionFile)).toBe(true);
            expect(JSON.parse(await queryChaincode(network.dir, 'org.hyperledger.fabric:GetMetadata', []))).toHaveProperty('contracts');
            const status = await network.status();
            pids = status.nodes.map((n) => n.pid as number);
            await network.stopNode('peer0.org1');
            await network.startNode('peer0.org1');
        } finally {
            await network.stop();
        }
        await network.stop(); // idempotent
        for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
        for (const port of allPorts(20200)) expect(await portFree(port)).toBe(true);
        expect(existsSync(network.dir)).toBe(false);
    });
});

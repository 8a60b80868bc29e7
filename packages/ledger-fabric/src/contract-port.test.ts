import type { Contract, Gateway, ProposalOptions } from '@hyperledger/fabric-gateway';
import { describe, expect, it } from 'vitest';
import { gatewayContractPort } from './contract-port.js';

/** A gateway and contract that record the proposals asked for and endorse each at once. */
function fakes(): { gateway: Gateway; contract: Contract; proposals: { fn: string; options: ProposalOptions }[] } {
    const proposals: { fn: string; options: ProposalOptions }[] = [];
    const gateway = {
        getIdentity: () => ({ mspId: 'Org1MSP', credentials: new Uint8Array([1, 2, 3]) }),
        newCommit: () => ({ getStatus: async () => ({ code: 0, blockNumber: 7n }) }),
    } as unknown as Gateway;
    const contract = {
        newProposal(fn: string, options: ProposalOptions) {
            proposals.push({ fn, options });
            return {
                endorse: async () => ({ getTransactionId: () => 'tx1', getResult: () => new TextEncoder().encode('{}'), submit: async () => undefined }),
                evaluate: async () => new TextEncoder().encode('{}'),
            };
        },
    } as unknown as Contract;
    return { gateway, contract, proposals };
}

const soon = (): Date => new Date(Date.now() + 1_000);

describe('gatewayContractPort', () => {
    it('asks the named organisations to endorse every submit, and pins evaluations to its own peer', async () => {
        const { gateway, contract, proposals } = fakes();
        const port = gatewayContractPort(gateway, contract, 'hyperprov', 'Org1MSP', ['Org1MSP', 'Org2MSP']);
        const endorsed = await port.endorse('set', ['{"key":"k"}'], soon());
        await port.evaluate('get', ['k'], soon());
        expect(endorsed.transactionId).toBe('tx1');
        expect(proposals).toEqual([
            { fn: 'set', options: { arguments: ['{"key":"k"}'], endorsingOrganizations: ['Org1MSP', 'Org2MSP'] } },
            { fn: 'get', options: { arguments: ['k'], endorsingOrganizations: ['Org1MSP'] } },
        ]);
    });

    it('leaves the choice of endorsers to the gateway when no organisations are named', async () => {
        const { gateway, contract, proposals } = fakes();
        await gatewayContractPort(gateway, contract, 'hyperprov', 'Org1MSP').endorse('set', ['{}'], soon());
        expect(proposals[0]?.options).toEqual({ arguments: ['{}'] });
    });
});

/**
 * Queries of Fabric's ledger system chaincode (qscc) on one organisation's peers: chain height
 * and head hash, blocks by number. Evaluations are pinned to the organisation of the gateway
 * peer they go through (endorsingOrganizations), because the gateway may otherwise answer
 * system-chaincode queries from any peer, and verify() must know whose ledger it reads.
 */
import type { Contract } from '@hyperledger/fabric-gateway';
import { common, peer } from '@hyperledger/fabric-protos';
import { TrackerError } from '@hyperprov/errors';
import { translateGatewayError } from './gateway-errors.js';

export interface ChainInfo {
    /** Number of blocks. */
    height: bigint;
    /** Header hash of the last block. */
    currentBlockHash: Uint8Array;
}

export class LedgerQueries {
    readonly #qscc: Contract;
    readonly #channel: string;
    readonly #mspId: string;
    readonly #peer: string;
    readonly #timeoutMs: number;

    /** `qscc` is `network.getContract('qscc')` of a gateway whose peer belongs to `mspId`. */
    constructor(qscc: Contract, channel: string, mspId: string, peer: string, timeoutMs: number) {
        this.#qscc = qscc;
        this.#channel = channel;
        this.#mspId = mspId;
        this.#peer = peer;
        this.#timeoutMs = timeoutMs;
    }

    async chainInfo(): Promise<ChainInfo> {
        const info = common.BlockchainInfo.deserializeBinary(await this.#call('GetChainInfo', [this.#channel]));
        return { height: BigInt(info.getHeight()), currentBlockHash: info.getCurrentblockhash_asU8() };
    }

    async block(number: bigint): Promise<common.Block> {
        return common.Block.deserializeBinary(await this.#call('GetBlockByNumber', [this.#channel, number.toString()]));
    }

    /** The validation code of transaction `txId` (0 = VALID), or undefined when the peer has no such transaction. */
    async validationCode(txId: string): Promise<number | undefined> {
        try {
            return peer.ProcessedTransaction.deserializeBinary(await this.#call('GetTransactionByID', [this.#channel, txId])).getValidationcode();
        } catch (error) {
            // qscc answers an unknown id with an error naming it; anything else is a real failure.
            if (error instanceof TrackerError && /not found|no such transaction|Failed to get transaction with id/i.test(`${error.message} ${String((error.cause as Error | undefined)?.message)}`)) return undefined;
            throw error;
        }
    }

    async #call(fn: string, args: string[]): Promise<Uint8Array> {
        try {
            const proposal = this.#qscc.newProposal(fn, { arguments: args, endorsingOrganizations: [this.#mspId] });
            return await proposal.evaluate({ deadline: new Date(Date.now() + this.#timeoutMs) });
        } catch (error) {
            throw translateGatewayError(error, { fn: `qscc ${fn}`, peer: this.#peer });
        }
    }
}

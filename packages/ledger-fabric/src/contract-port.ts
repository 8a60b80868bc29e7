/**
 * The few Fabric Gateway operations the submit path needs, behind a small interface: the
 * transaction runner and the coalescer are written against it, so their rules (retries,
 * outcome-unknown resolution, batching) are unit-tested with a fake and run unchanged against a
 * real peer through {@link gatewayContractPort}.
 */
import type { CallOptions } from '@grpc/grpc-js';
import type { Commit, Contract, Gateway, Transaction } from '@hyperledger/fabric-gateway';
import { gateway as gatewayProtos, msp } from '@hyperledger/fabric-protos';

/** A transaction endorsed by the peers and signed, ready to be sent to the orderers. */
export interface EndorsedTransaction {
    readonly transactionId: string;
    /** The contract function's return value, as endorsed. */
    readonly result: Uint8Array;
    /**
     * Sends the signed transaction to the orderers. Sending it again sends the very same bytes
     * (same transaction id, same signature), which Fabric commits at most once.
     */
    submit(deadline: Date): Promise<void>;
    /** Waits until the transaction is committed (valid or not) or the deadline passes. */
    status(deadline: Date): Promise<{ code: number; blockNumber: bigint }>;
}

export interface ContractPort {
    /** Builds a fresh proposal (new transaction id) and has it endorsed. */
    endorse(fn: string, args: readonly string[], deadline: Date): Promise<EndorsedTransaction>;
    evaluate(fn: string, args: readonly string[], deadline: Date): Promise<Uint8Array>;
}

/**
 * The real port over a connected gateway. Evaluations are pinned to `peerMspId`, the gateway
 * peer's organisation: that peer reported the commits, so reads right after a commit see it.
 * With `endorsingOrganizations`, every proposal is endorsed by one peer of each of them at once;
 * without, the gateway endorses on its own peer first and only then asks the others.
 */
export function gatewayContractPort(gateway: Gateway, contract: Contract, channel: string, peerMspId: string, endorsingOrganizations?: readonly string[]): ContractPort {
    const identity = gateway.getIdentity();
    const creator = new msp.SerializedIdentity();
    creator.setMspid(identity.mspId);
    creator.setIdBytes(identity.credentials);
    const creatorBytes = creator.serializeBinary();
    return {
        async endorse(fn, args, deadline) {
            const proposal = contract.newProposal(fn, { arguments: [...args], ...(endorsingOrganizations && { endorsingOrganizations: [...endorsingOrganizations] }) });
            const transaction = await proposal.endorse(options(deadline));
            return new EndorsedGatewayTransaction(gateway, transaction, channel, creatorBytes);
        },
        async evaluate(fn, args, deadline) {
            // Through a proposal, because Contract.evaluate takes no call options (deadline).
            return contract.newProposal(fn, { arguments: [...args], endorsingOrganizations: [peerMspId] }).evaluate(options(deadline));
        },
    };
}

function options(deadline: Date): CallOptions {
    return { deadline };
}

class EndorsedGatewayTransaction implements EndorsedTransaction {
    readonly transactionId: string;
    readonly result: Uint8Array;
    readonly #transaction: Transaction;
    /**
     * The commit status request, built from the transaction id alone: the status can be asked
     * for even when no send succeeded as far as this client knows (a send that failed on the way
     * back may still have reached the orderers).
     */
    readonly #commit: Commit;

    constructor(gateway: Gateway, transaction: Transaction, channel: string, creator: Uint8Array) {
        this.#transaction = transaction;
        this.transactionId = transaction.getTransactionId();
        this.result = transaction.getResult();
        const request = new gatewayProtos.CommitStatusRequest();
        request.setChannelId(channel);
        request.setTransactionId(this.transactionId);
        request.setIdentity(creator);
        const signed = new gatewayProtos.SignedCommitStatusRequest();
        signed.setRequest(request.serializeBinary());
        // Signed by the gateway's signer on first use.
        this.#commit = gateway.newCommit(signed.serializeBinary());
    }

    async submit(deadline: Date): Promise<void> {
        // The transaction signs itself once; later sends reuse the signature, so the bytes match.
        await this.#transaction.submit({ deadline });
    }

    async status(deadline: Date): Promise<{ code: number; blockNumber: bigint }> {
        const status = await this.#commit.getStatus({ deadline });
        return { code: status.code, blockNumber: status.blockNumber };
    }
}

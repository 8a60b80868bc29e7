/**
 * What verify() reads out of a Fabric block: the header fields its hash covers, the raw data
 * entries, and per transaction its id, type, validation code and the writes it made per
 * chaincode namespace (from the endorsed read-write set inside the envelope).
 */
import { common, ledger, msp, peer } from '@hyperledger/fabric-protos';

export interface BlockWrite {
    key: string;
    isDelete: boolean;
    value: Uint8Array;
}

export interface BlockTransaction {
    /** Position in the block. */
    index: number;
    txId: string;
    /** common.HeaderType (3 = ENDORSER_TRANSACTION, 1 = CONFIG). */
    type: number;
    /** Validation code from the block metadata (0 = VALID). */
    validationCode: number;
    /** MSP id of the transaction's creator. */
    creatorMspId: string;
    /** Writes of the transaction per chaincode namespace (endorser transactions only). */
    writes: Map<string, BlockWrite[]>;
}

export interface BlockContent {
    number: bigint;
    previousHash: Uint8Array;
    dataHash: Uint8Array;
    /** The serialized envelopes, as hashed into dataHash. */
    entries: Uint8Array[];
    transactions: BlockTransaction[];
    /** Entries that could not be decoded (index and why). */
    undecodable: { index: number; message: string }[];
}

const ENDORSER_TRANSACTION = common.HeaderType.ENDORSER_TRANSACTION;
const TRANSACTIONS_FILTER = common.BlockMetadataIndex.TRANSACTIONS_FILTER;

/** Decodes a block (as a protobuf message or its bytes). */
export function decodeBlock(input: common.Block | Uint8Array): BlockContent {
    const block = input instanceof Uint8Array ? common.Block.deserializeBinary(input) : input;
    const header = block.getHeader();
    const entries = block.getData()?.getDataList_asU8() ?? [];
    const filter = block.getMetadata()?.getMetadataList_asU8()[TRANSACTIONS_FILTER] ?? new Uint8Array();
    const content: BlockContent = {
        number: BigInt(header?.getNumber() ?? 0),
        previousHash: header?.getPreviousHash_asU8() ?? new Uint8Array(),
        dataHash: header?.getDataHash_asU8() ?? new Uint8Array(),
        entries,
        transactions: [],
        undecodable: [],
    };
    entries.forEach((entry, index) => {
        try {
            content.transactions.push(decodeTransaction(entry, index, filter[index] ?? 255));
        } catch (error) {
            content.undecodable.push({ index, message: (error as Error).message });
        }
    });
    return content;
}

function decodeTransaction(entry: Uint8Array, index: number, validationCode: number): BlockTransaction {
    const envelope = common.Envelope.deserializeBinary(entry);
    const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
    const header = payload.getHeader();
    const channelHeader = common.ChannelHeader.deserializeBinary(header?.getChannelHeader_asU8() ?? new Uint8Array());
    const signatureHeader = common.SignatureHeader.deserializeBinary(header?.getSignatureHeader_asU8() ?? new Uint8Array());
    const creator = msp.SerializedIdentity.deserializeBinary(signatureHeader.getCreator_asU8());
    const tx: BlockTransaction = {
        index,
        txId: channelHeader.getTxId(),
        type: channelHeader.getType(),
        validationCode,
        creatorMspId: creator.getMspid(),
        writes: new Map(),
    };
    if (tx.type !== ENDORSER_TRANSACTION) return tx;
    const transaction = peer.Transaction.deserializeBinary(payload.getData_asU8());
    for (const action of transaction.getActionsList()) {
        const actionPayload = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
        const responsePayload = peer.ProposalResponsePayload.deserializeBinary(actionPayload.getAction()?.getProposalResponsePayload_asU8() ?? new Uint8Array());
        const chaincodeAction = peer.ChaincodeAction.deserializeBinary(responsePayload.getExtension_asU8());
        const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(chaincodeAction.getResults_asU8());
        for (const ns of rwset.getNsRwsetList()) {
            const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
            const writes = tx.writes.get(ns.getNamespace()) ?? [];
            for (const write of kv.getWritesList()) writes.push({ key: write.getKey(), isDelete: write.getIsDelete(), value: write.getValue_asU8() });
            tx.writes.set(ns.getNamespace(), writes);
        }
    }
    return tx;
}

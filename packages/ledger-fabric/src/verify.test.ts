import { createHash } from 'node:crypto';
import { common, ledger, msp, peer } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import { TrackerError } from '@hyperprov/errors';
import { canonicalJson } from '@hyperprov/chaincode/protocol';
import { blockDataHash, blockHeaderHash } from './block-hash.js';
import { decodeBlock } from './block-content.js';
import { ChainChecker, compareOrgBlock, RecordReplay, verifyFabricChain, type VerifySource } from './verify.js';

const NS = 'hyperprov';

/** An endorser transaction envelope whose read-write set writes `writes` in namespace `ns`. */
function envelope(txId: string, writes: [string, string][], ns = NS): Uint8Array {
    const kv = new ledger.rwset.kvrwset.KVRWSet();
    kv.setWritesList(
        writes.map(([key, value]) => {
            const write = new ledger.rwset.kvrwset.KVWrite();
            write.setKey(key);
            write.setValue(Buffer.from(value));
            return write;
        }),
    );
    const nsRwset = new ledger.rwset.NsReadWriteSet();
    nsRwset.setNamespace(ns);
    nsRwset.setRwset(kv.serializeBinary());
    const rwset = new ledger.rwset.TxReadWriteSet();
    rwset.setNsRwsetList([nsRwset]);
    const action = new peer.ChaincodeAction();
    action.setResults(rwset.serializeBinary());
    const prp = new peer.ProposalResponsePayload();
    prp.setExtension$(action.serializeBinary());
    const endorsed = new peer.ChaincodeEndorsedAction();
    endorsed.setProposalResponsePayload(prp.serializeBinary());
    const cap = new peer.ChaincodeActionPayload();
    cap.setAction(endorsed);
    const txAction = new peer.TransactionAction();
    txAction.setPayload(cap.serializeBinary());
    const tx = new peer.Transaction();
    tx.setActionsList([txAction]);
    const channelHeader = new common.ChannelHeader();
    channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
    channelHeader.setTxId(txId);
    const creator = new msp.SerializedIdentity();
    creator.setMspid('Org1MSP');
    const signatureHeader = new common.SignatureHeader();
    signatureHeader.setCreator(creator.serializeBinary());
    const header = new common.Header();
    header.setChannelHeader(channelHeader.serializeBinary());
    header.setSignatureHeader(signatureHeader.serializeBinary());
    const payload = new common.Payload();
    payload.setHeader(header);
    payload.setData(tx.serializeBinary());
    const env = new common.Envelope();
    env.setPayload(payload.serializeBinary());
    return env.serializeBinary();
}

/** A config transaction envelope (what block 0 holds). */
function configEnvelope(): Uint8Array {
    const channelHeader = new common.ChannelHeader();
    channelHeader.setType(common.HeaderType.CONFIG);
    const header = new common.Header();
    header.setChannelHeader(channelHeader.serializeBinary());
    const payload = new common.Payload();
    payload.setHeader(header);
    payload.setData(Buffer.from('config'));
    const env = new common.Envelope();
    env.setPayload(payload.serializeBinary());
    return env.serializeBinary();
}

function block(number: number, previousHash: Uint8Array, entries: Uint8Array[], codes: number[] = entries.map(() => 0)): common.Block {
    const header = new common.BlockHeader();
    header.setNumber(number);
    header.setPreviousHash(previousHash);
    header.setDataHash(blockDataHash(entries));
    const data = new common.BlockData();
    data.setDataList(entries);
    const metadata = new common.BlockMetadata();
    metadata.setMetadataList([new Uint8Array(), new Uint8Array(), Uint8Array.from(codes), new Uint8Array(), new Uint8Array()]);
    const b = new common.Block();
    b.setHeader(header);
    b.setData(data);
    b.setMetadata(metadata);
    return b;
}

const record = (id: string, key: string) => canonicalJson({ id, key, checksum: 'sha256:x', creator: { mspId: 'Org1MSP', id: 'x509::u' } });
const recordKey = (id: string) => `\u0000record\u0000${id}\u0000`;

/** A chain of `count` blocks; block n ≥ 1 holds one `set` of key k<n> with id tx<n>. */
function chain(count: number, extra: (n: number) => Uint8Array[] = () => []): common.Block[] {
    const blocks: common.Block[] = [];
    let previous: Uint8Array = new Uint8Array();
    for (let n = 0; n < count; n++) {
        const entries = n === 0 ? [configEnvelope()] : [envelope(`tx${n}`, [[`k${n}`, record(`tx${n}`, `k${n}`)], [recordKey(`tx${n}`), record(`tx${n}`, `k${n}`)], ['\u0000checksum\u0000x\u0000', '1']]), ...extra(n)];
        const b = block(n, previous, entries);
        blocks.push(b);
        const h = b.getHeader() as common.BlockHeader;
        previous = blockHeaderHash(BigInt(n), h.getPreviousHash_asU8(), h.getDataHash_asU8());
    }
    return blocks;
}

describe('block hashes', () => {
    it('hash the header as DER SEQUENCE {INTEGER, OCTET STRING, OCTET STRING}, with minimal integers', () => {
        const data = Buffer.alloc(32, 0xab);
        const der = (n: number[]) => createHash('sha256').update(Buffer.from(n)).digest();
        expect(blockHeaderHash(0n, new Uint8Array(), data)).toEqual(der([0x30, 0x27, 0x02, 0x01, 0x00, 0x04, 0x00, 0x04, 0x20, ...data]));
        // 128 needs a leading zero so it stays positive; 256 needs two bytes.
        expect(blockHeaderHash(128n, data, data)).toEqual(der([0x30, 0x48, 0x02, 0x02, 0x00, 0x80, 0x04, 0x20, ...data, 0x04, 0x20, ...data]));
        expect(blockHeaderHash(256n, data, data)).toEqual(der([0x30, 0x48, 0x02, 0x02, 0x01, 0x00, 0x04, 0x20, ...data, 0x04, 0x20, ...data]));
        expect(blockDataHash([Buffer.from('a'), Buffer.from('bc')])).toEqual(createHash('sha256').update('abc').digest());
    });
});

describe('ChainChecker', () => {
    it('accepts an unbroken chain and finds changed contents, a broken link and a gap', () => {
        const good = new ChainChecker();
        for (const b of chain(4)) expect(good.add(decodeBlock(b))).toEqual([]);
        expect(good.height).toBe(4n);

        const blocks = chain(4);
        const tampered = decodeBlock(blocks[2] as common.Block);
        tampered.entries[0] = envelope('tx2', [['k2', record('tx2', 'evil')]]);
        const checker = new ChainChecker();
        checker.add(decodeBlock(blocks[0] as common.Block));
        checker.add(decodeBlock(blocks[1] as common.Block));
        expect(checker.add(tampered).map((p) => p.message)).toEqual([expect.stringContaining("block 2's data hash")]);

        const relinked = new ChainChecker();
        relinked.add(decodeBlock(blocks[0] as common.Block));
        relinked.add(decodeBlock(blocks[1] as common.Block));
        const forged = decodeBlock(blocks[3] as common.Block);
        forged.number = 2n;
        expect(relinked.add(forged).map((p) => p.message)).toEqual([expect.stringContaining('block 2 does not link to block 1')]);
        expect(new ChainChecker().add(decodeBlock(blocks[1] as common.Block)).map((p) => p.message)).toEqual([expect.stringContaining('where block 0 was expected')]);
    });
});

describe('compareOrgBlock', () => {
    it('agrees on an identical block and names a peer whose copy differs or was doctored', () => {
        const blocks = chain(3);
        const ours = decodeBlock(blocks[2] as common.Block);
        const ownHash = blockHeaderHash(ours.number, ours.previousHash, ours.dataHash);
        expect(compareOrgBlock(ownHash, decodeBlock(blocks[2] as common.Block), "Org2's peer")).toEqual([]);
        const doctored = decodeBlock(blocks[2] as common.Block);
        doctored.entries[0] = envelope('tx2', [['k2', record('tx2', 'evil')]]);
        expect(compareOrgBlock(ownHash, doctored, "Org2's peer").map((p) => p.message)).toEqual([expect.stringContaining("Org2's peer returned block 2 whose data hash does not match")]);
        const other = decodeBlock(chain(3, (n) => (n === 2 ? [configEnvelope()] : []))[2] as common.Block);
        expect(compareOrgBlock(ownHash, other, "Org2's peer").map((p) => p.message)).toEqual([expect.stringContaining("Org2's peer and this peer disagree on block 2")]);
    });
});

describe('RecordReplay', () => {
    it('takes a setMany transaction\'s records from its one batch entry, with ids <txId>.<n>', () => {
        const items = [JSON.parse(record('tb.0', 'b0')), JSON.parse(record('tb.1', 'b1'))];
        const replay = new RecordReplay(NS);
        const b = decodeBlock(block(1, new Uint8Array(), [envelope('tb', [['\u0000batch\u0000tb\u0000', canonicalJson(items)], ['b0', canonicalJson(items[0])], ['b1', canonicalJson(items[1])]])]));
        expect(replay.add(b)).toEqual([]);
        expect([...replay.records.keys()]).toEqual(['tb.0', 'tb.1']);
        expect(replay.records.get('tb.1')?.digest).toBe(createHash('sha256').update(canonicalJson(items[1])).digest('hex'));
        expect(replay.latest.get('b1')).toBe('tb.1');
        expect(replay.creators).toEqual(new Set(['x509::u']));
    });

    it('names a batch entry that holds no list of records', () => {
        const replay = new RecordReplay(NS);
        const b = decodeBlock(block(1, new Uint8Array(), [envelope('tz', [['\u0000batch\u0000tz\u0000', record('tz', 'z')]])]));
        expect(replay.add(b).map((p) => p.message)).toEqual(['transaction tz wrote a value that is not a list of records']);
    });
});

describe('verifyFabricChain', () => {
    function source(blocks: common.Block[], state: Map<string, string>, other?: common.Block[]): VerifySource {
        const info = (list: common.Block[]) => {
            const last = decodeBlock(list[list.length - 1] as common.Block);
            return { height: BigInt(list.length), currentBlockHash: blockHeaderHash(last.number, last.previousHash, last.dataHash) };
        };
        return {
            namespace: NS,
            chainInfo: async () => info(blocks),
            blocks: () => ({
                async *[Symbol.asyncIterator]() {
                    yield* blocks;
                },
            }),
            evaluate: async (fn, args) => {
                if (fn === 'getByCreator') {
                    const items = [...state].filter(([k, v]) => k.startsWith('\u0000') && JSON.parse(v).creator.id === args[0]).map(([, v]) => JSON.parse(v));
                    return JSON.stringify({ items, bookmark: '' });
                }
                if (fn === 'getByRange') {
                    const items = [...state].filter(([k]) => !k.startsWith('\u0000')).map(([, v]) => JSON.parse(v));
                    return JSON.stringify({ items, bookmark: '' });
                }
                const value = state.get(fn === 'get' ? (args[0] as string) : recordKey(args[0] as string));
                if (value === undefined) throw new TrackerError('NOT_FOUND', 'no record');
                return value;
            },
            isValidTransaction: async () => false,
            otherPeers: async () => (other ? [{ label: "Org2's peer", chainInfo: async () => info(other), block: async (n) => other[Number(n)] as common.Block }] : []),
        };
    }

    /** The state the chain of `chain(n)` leads to. */
    function stateOf(count: number): Map<string, string> {
        const state = new Map<string, string>();
        for (let n = 1; n < count; n++) {
            state.set(`k${n}`, record(`tx${n}`, `k${n}`));
            state.set(recordKey(`tx${n}`), record(`tx${n}`, `k${n}`));
        }
        return state;
    }

    it('passes a chain whose state and other organisation agree', async () => {
        const blocks = chain(5);
        const result = await verifyFabricChain(source(blocks, stateOf(5), chain(4)));
        expect(result.problems).toEqual([]);
        expect(result).toMatchObject({ ok: true, height: 5n });
        expect(result.notes).toEqual([expect.stringContaining('checked 5 blocks and 4 records'), expect.stringContaining("Org2's peer agrees up to block 3")]);
    });

    it('finds a state that differs from the chain, a missing record, a key no transaction wrote', async () => {
        const state = stateOf(5);
        state.set(recordKey('tx2'), record('tx2', 'changed'));
        state.delete(recordKey('tx3'));
        state.set('phantom', record('txP', 'phantom'));
        const result = await verifyFabricChain(source(chain(5), state));
        expect(result.ok).toBe(false);
        expect(result.problems.map((p) => p.message)).toEqual([
            expect.stringContaining('record tx2 in the peer\'s state differs from what block 2 wrote'),
            expect.stringContaining('record tx3 (block 3) is on the chain but the peer\'s state does not have it'),
            expect.stringContaining('holds key "phantom" (record txP), which no valid transaction wrote'),
        ]);
    });

    it('ignores the writes of invalid transactions and finds them if the state shows them', async () => {
        const blocks = chain(2);
        const previous = decodeBlock(blocks[1] as common.Block);
        blocks.push(block(2, blockHeaderHash(1n, previous.previousHash, previous.dataHash), [envelope('txBad', [['kb', record('txBad', 'kb')], [recordKey('txBad'), record('txBad', 'kb')]])], [11]));
        expect((await verifyFabricChain(source(blocks, stateOf(2)))).problems).toEqual([]);
        const shows = stateOf(2);
        shows.set('kb', record('txBad', 'kb'));
        expect((await verifyFabricChain(source(blocks, shows))).problems.map((p) => p.message)).toEqual([expect.stringContaining('"kb" (record txBad), which no valid transaction wrote')]);
    });

    it('detects that the other organisation holds a different chain', async () => {
        const result = await verifyFabricChain(source(chain(5), stateOf(5), chain(5, (n) => (n === 3 ? [configEnvelope()] : []))));
        expect(result.ok).toBe(false);
        expect(result.problems.map((p) => p.message)).toEqual([expect.stringContaining("Org2's peer and this peer disagree on block 4")]);
    });
});

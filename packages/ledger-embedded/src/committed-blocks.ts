/**
 * Reading committed blocks back from the block file, found through LevelDB's block index: one
 * block (recovery checks the genesis block's identity) or the events of a range of blocks (an
 * event subscriber replaying, or catching up after it fell behind the live feed).
 */
import { TrackerError } from '@hyperprov/errors';
import type { LedgerEvent } from '@hyperprov/ledger';
import { decodeBlock, eventPayloadText, type DecodedBlock } from './block.js';
import type { LedgerCore } from './ledger-core.js';
import { blockIndexKey, decodeBlockIndex } from './state-db.js';

/** Block `number` as the index says it lies in the file. */
export async function readBlock(core: LedgerCore, number: number): Promise<DecodedBlock> {
    const index = await core.db.get(blockIndexKey(number));
    if (index === undefined) throw new Error(`block ${number} is not indexed`);
    const { offset, length } = decodeBlockIndex(index);
    const bytes = await core.file.read(offset, length);
    return decodeBlock(bytes.subarray(0, bytes.length - 1));
}

/**
 * The events of blocks [from, to), block by block, for the event hub. `closing()` tells whether
 * the ledger is being closed, when a failed read just ends the stream.
 */
export async function* readBlockEvents(core: LedgerCore, from: number, to: number, closing: () => boolean): AsyncGenerator<{ number: number; events: LedgerEvent[] }> {
    try {
        yield* readBlockEventsUnguarded(core, from, to);
    } catch (error) {
        // close() released the file under a replaying subscriber: the stream just ends.
        if (closing()) return;
        throw new TrackerError('LEDGER_UNAVAILABLE', `reading events from ${core.file.path} failed: ${(error as Error).message}`, { cause: error });
    }
}

async function* readBlockEventsUnguarded(core: LedgerCore, from: number, to: number): AsyncGenerator<{ number: number; events: LedgerEvent[] }> {
    if (from >= to) return;
    const index = await core.db.get(blockIndexKey(from));
    if (index === undefined) return;
    const { offset } = decodeBlockIndex(index);
    let expected = from;
    for await (const line of core.file.lines(offset)) {
        if ('torn' in line || expected >= to) return;
        let block: DecodedBlock;
        try {
            block = decodeBlock(line.bytes);
        } catch {
            return; // damaged; verify() names it
        }
        const blockNumber = BigInt(block.body.number);
        const events: LedgerEvent[] = [];
        for (const tx of block.body.txs) {
            if (tx.event) events.push({ blockNumber, transactionId: tx.id, eventName: tx.event.name, payload: eventPayloadText(tx.event) });
        }
        yield { number: block.body.number, events };
        expected = block.body.number + 1;
    }
}

/**
 * Recovery, the second half of opening: bringing LevelDB level with the block file and deciding
 * what the file's end means. Blocks after the savepoint are re-applied after checking hash,
 * number, link and signature, so a killed process never leaves a half-applied block. The last
 * applied block must still be intact where it was; otherwise state holds records no block backs
 * (unbacked). A torn or unparseable last line is an interrupted append, reported and cut off just
 * before the next append; a complete block that fails its checks, or a bad line with more after
 * it, is damage kept as evidence. Recovery never changes the block file of an existing ledger
 * (only an empty one gets its genesis block): a read-only command must not destroy what it was
 * asked to look at.
 */
import { join } from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import { GENESIS_PREVIOUS_HASH, decodeBlock, encodeBlock, hashProblem, signatureValid, type BlockBody, type DecodedBlock } from './block.js';
import { LocalClientIdentity } from './client-identity.js';
import { readBlock } from './committed-blocks.js';
import { applyBlock, cutTail, type LedgerCore } from './ledger-core.js';
import { LEDGER_FILES } from './ledger-files.js';
import { appliedFromDecoded, blockIndexKey, decodeBlockIndex, readSavepoint, type Savepoint } from './state-db.js';

const NEWLINE = 0x0a;

/**
 * Re-applies the blocks after the savepoint and records in `core` where the chain stands and what
 * is wrong with the file, if anything; writes the genesis block of an empty ledger when `create`.
 */
export async function recover(core: LedgerCore, create: boolean): Promise<void> {
    const savepoint = await readSavepoint(core.db);
    let expected = savepoint ? savepoint.number + 1 : 0;
    let previous = savepoint ? savepoint.hash : GENESIS_PREVIOUS_HASH;
    const from = savepoint ? savepoint.end : 0;
    core.height = expected;
    core.lastHash = previous;
    core.committedEnd = from;
    if (savepoint) {
        // Blocks are only ever appended after the savepoint; if the last applied block is not
        // where and what it was, the file was cut or edited, and whatever follows the
        // savepoint offset is not a block boundary (treating it as one glued new blocks onto
        // old ones and cut real bytes as a "torn" tail).
        core.unbacked = await savepointProblem(core, savepoint);
        if (core.unbacked) return;
    }
    const path = core.file.path;
    let pendingBad: { offset: number; reason: string; number: number } | undefined;
    for await (const line of core.file.lines(from)) {
        if ('torn' in line) {
            const offset = pendingBad?.offset ?? line.torn;
            core.tail = {
                offset,
                message: `${path} ends with an incomplete block at byte ${offset} (a write interrupted by a crash or power loss, never acknowledged): nothing committed is lost, and the next write cuts it off`,
            };
            pendingBad = undefined;
            break;
        }
        if (pendingBad) {
            // A bad line followed by more is damage, not an interrupted write: keep the file as is.
            core.damage =
                `block ${pendingBad.number} at byte ${pendingBad.offset} of ${path} is unreadable (${pendingBad.reason}) and more data follows it, ` +
                `so it is damage, not an interrupted write; run \`hyperprov verify --ledger\` to see every problem, then restore ${path} from a backup`;
            pendingBad = undefined;
            break;
        }
        let block: DecodedBlock;
        try {
            block = decodeBlock(line.bytes);
        } catch (error) {
            // Unreadable: an interrupted write if nothing follows it (decided at the next line or the end).
            pendingBad = { offset: line.offset, reason: (error as Error).message, number: expected };
            continue;
        }
        // An append interrupted by power loss leaves zeros where data did not reach the disk,
        // which no longer parses. A line that parses as a block was written whole: if it still
        // does not fit, it was put there, and it is evidence for verify(), not something to cut.
        const hashError = hashProblem(block);
        const misfit = hashError
            ? `its content does not match its hash (${hashError})`
            : block.body.number !== expected
              ? `it is numbered ${block.body.number}`
              : block.body.previousHash !== previous
                ? 'its previous hash does not link to the block before'
                : !signatureValid(block, core.verifier)
                  ? "its signature does not verify against the identity's certificate"
                  : undefined;
        if (misfit) {
            const after = expected === 0 ? 'the first block' : `after block ${expected - 1}, the last one applied`;
            const isLast = line.end === core.file.size;
            core.damage =
                `block ${expected} at byte ${line.offset} of ${path} (${after}) is complete but ${misfit}; an interrupted write leaves an incomplete ` +
                'or unreadable line, never this, so it is kept as evidence and not applied. ' +
                (isLast
                    ? `If it should not be there, keep a copy of the file and cut it back to the applied blocks with \`truncate -s ${line.offset} ${path}\`; otherwise restore ${path} from a backup`
                    : `Run \`hyperprov verify --ledger\` to see every problem, then restore ${path} from a backup`);
            break;
        }
        await applyBlock(core, appliedFromDecoded(block, line.offset, line.end - line.offset));
        expected += 1;
        previous = block.hash;
        core.committedEnd = line.end;
    }
    if (pendingBad) {
        // The last line is complete but unreadable: an append torn by power loss. It was never
        // applied (it is after the savepoint) and so never acknowledged; the next write drops it.
        core.tail = {
            offset: pendingBad.offset,
            message: `${path} ends with an unreadable line at byte ${pendingBad.offset} (${pendingBad.reason}; a write interrupted by power loss, never acknowledged): nothing committed is lost, and the next write cuts it off`,
        };
    }
    core.height = expected;
    core.lastHash = previous;
    if (core.height === 0 && !core.damage) {
        if (!create) {
            throw new TrackerError('LEDGER_CORRUPT', `the ledger in ${core.dir} has no blocks (${path} is empty), and none may be created here; restore ${path} from a backup`);
        }
        await writeGenesis(core);
    } else if (!core.damage) {
        await checkGenesisIdentity(core);
    }
}

/** Why the last applied block is not intact in the block file any more, or undefined if it is. */
async function savepointProblem(core: LedgerCore, savepoint: Savepoint): Promise<string | undefined> {
    const path = core.file.path;
    const size = core.file.size;
    const stateDir = join(core.dir, LEDGER_FILES.state);
    if (savepoint.end > size) {
        const first = await firstBlockPast(core, size, savepoint.number);
        const blocks = first === savepoint.number ? `block ${first} is` : `blocks ${first}-${savepoint.number} are`;
        return (
            `${path} was truncated or replaced after it was committed: it ends at byte ${size}, but block ${savepoint.number} ended at byte ${savepoint.end}, ` +
            `so ${blocks} cut short or missing while the state database still holds their records, which no block backs now. ` +
            `Restore ${path} from a backup; or, to go on with the blocks that remain and lose the records of ${first === savepoint.number ? `block ${first}` : `blocks ${first}-${savepoint.number}`}, ` +
            `delete ${stateDir} (it is rebuilt from the blocks on the next open)`
        );
    }
    const index = await core.db.get(blockIndexKey(savepoint.number));
    const offset = index ? decodeBlockIndex(index).offset : undefined;
    let why: string | undefined;
    if (offset === undefined || offset >= savepoint.end) {
        const last = await core.file.read(savepoint.end - 1, 1);
        if (last[0] !== NEWLINE) why = `byte ${savepoint.end - 1} should end that block's line`;
    } else {
        const bytes = await core.file.read(offset, savepoint.end - offset);
        if (bytes[bytes.length - 1] !== NEWLINE) {
            why = 'its line no longer ends where it did';
        } else {
            try {
                const block = decodeBlock(bytes.subarray(0, bytes.length - 1));
                const hashError = hashProblem(block);
                if (hashError) why = hashError;
                else if (block.hash !== savepoint.hash || block.body.number !== savepoint.number) why = 'another block is in its place';
            } catch (error) {
                why = `it is unreadable there: ${(error as Error).message}`;
            }
        }
    }
    if (why === undefined) return undefined;
    const where = offset === undefined ? `ending at byte ${savepoint.end}` : `at bytes ${offset}-${savepoint.end}`;
    return (
        `block ${savepoint.number}, the last committed block, is no longer intact ${where} of ${path} (${why}): the file was edited after it was ` +
        'committed (bytes inserted, removed or changed), so the state database holds records the file no longer backs, and nothing is read or ' +
        `written until it is repaired. Run \`hyperprov verify --ledger\` to find the first damaged block, then restore ${path} from a backup`
    );
}

/** The first block (at most `last`) that does not lie wholly within the first `size` bytes. */
async function firstBlockPast(core: LedgerCore, size: number, last: number): Promise<number> {
    let first = last;
    for await (const [key, value] of core.db.iterator({ gte: blockIndexKey(0), lte: blockIndexKey(last), reverse: true })) {
        const { offset, length } = decodeBlockIndex(value);
        if (offset + length <= size) break;
        first = Number(key.readBigUInt64BE(1));
    }
    return first;
}

async function writeGenesis(core: LedgerCore): Promise<void> {
    const body: BlockBody = {
        number: 0,
        previousHash: GENESIS_PREVIOUS_HASH,
        timestamp: new Date().toISOString(),
        config: {
            mspId: core.identity.mspId,
            certificatePem: core.identity.certificatePem,
            caCertificatePem: core.identity.caCertificatePem,
        },
        txs: [],
    };
    const { line, hash } = encodeBlock(body, core.signer);
    await cutTail(core);
    const offset = await core.file.append(line);
    await applyBlock(core, { number: 0, offset, length: line.length, hash, txs: [] });
    core.height = 1;
    core.lastHash = hash;
    core.committedEnd = offset + line.length;
}

/** A ledger signed by one identity must not silently get blocks signed by another. */
async function checkGenesisIdentity(core: LedgerCore): Promise<void> {
    const genesis = await readBlock(core, 0).catch(() => undefined);
    const config = genesis?.body.config;
    if (!config) return; // verify() reports an unreadable genesis block
    if (normalizePem(config.certificatePem) !== normalizePem(core.identity.certificatePem)) {
        const owner = new LocalClientIdentity({ mspId: config.mspId, certificatePem: config.certificatePem });
        throw new TrackerError(
            'INVALID_ARGUMENT',
            `the ledger in ${core.dir} belongs to identity ${owner.getID()} (${config.mspId}), not to ${core.clientIdentity.getID()}; open it with the identity that created it (in a project: restore .hyperprov/identity from a backup)`,
        );
    }
}

function normalizePem(pem: string): string {
    return pem.replace(/\s+/g, '');
}

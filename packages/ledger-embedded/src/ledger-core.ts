/**
 * The state one open ledger shares between its paths: the parts it was opened with (block file,
 * LevelDB, identity and its signer) and where the chain stands (height, last hash, end of the
 * last applied block) and what is wrong with it (damage, an interrupted write, a failed commit).
 * Recovery, the commit pipeline, the read path and verify all read and move this one object, so
 * it lives apart from each of them, with the two steps both recovery and commits take: cutting
 * an interrupted write off the file and applying a block to LevelDB.
 */
import { TrackerError } from '@hyperprov/errors';
import { createLocalSigner, createSignatureVerifier, type LocalIdentity, type LocalSigner, type SignatureVerifier } from '@hyperprov/ledger';
import { GENESIS_PREVIOUS_HASH } from './block.js';
import type { BlockFile } from './block-file.js';
import { LocalClientIdentity } from './client-identity.js';
import { blockOps, type AppliedBlock, type Db } from './state-db.js';
import { StateCache, type CommittedStore } from './state-views.js';

/** One open ledger's parts and condition; see the file comment. */
export interface LedgerCore {
    /** Absolute path of the ledger directory. */
    readonly dir: string;
    readonly identity: LocalIdentity;
    readonly clientIdentity: LocalClientIdentity;
    readonly signer: LocalSigner;
    readonly verifier: SignatureVerifier;
    readonly db: Db;
    readonly file: BlockFile;
    readonly store: CommittedStore;

    height: number;
    lastHash: string;
    /** Why the ledger cannot accept writes (damaged files), and what to do; reads and verify still work. */
    damage: string | undefined;
    /**
     * Why state is not backed by the block file as it is now (blocks it was applied from are gone
     * or changed), and what to do: reads are refused too, since they would answer from records no
     * block backs. verify() still works.
     */
    unbacked: string | undefined;
    /** Unapplied bytes an interrupted append left at the end of the file; cut before the next append. */
    tail: { offset: number; message: string } | undefined;
    /** Where the last applied block ends in the file. */
    committedEnd: number;
    /** Set when a commit failed; the ledger must be reopened. */
    failure: TrackerError | undefined;
}

/** A ledger core at height 0, before recovery has read the savepoint and the blocks. */
export function createLedgerCore(dir: string, identity: LocalIdentity, db: Db, file: BlockFile, cacheEntries: number): LedgerCore {
    return {
        dir,
        identity,
        clientIdentity: new LocalClientIdentity(identity),
        signer: createLocalSigner(identity),
        verifier: createSignatureVerifier(identity.certificatePem),
        db,
        file,
        store: { db, cache: new StateCache(cacheEntries), applying: false, generation: 0 },
        height: 0,
        lastHash: GENESIS_PREVIOUS_HASH,
        damage: undefined,
        unbacked: undefined,
        tail: undefined,
        committedEnd: 0,
        failure: undefined,
    };
}

/**
 * Throws why the ledger refuses writes (a failed commit, or damage), if it does. Open-ness is the
 * caller's check: a simulation already admitted runs this again after waiting its turn.
 */
export function checkAcceptsWrites(core: LedgerCore): void {
    if (core.failure) throw core.failure;
    const damage = core.unbacked ?? core.damage;
    if (damage) throw new TrackerError('LEDGER_CORRUPT', `the ledger in ${core.dir} refuses writes: ${damage}`);
}

/** Applies one block to LevelDB atomically and refreshes the read cache. */
export async function applyBlock(core: LedgerCore, block: AppliedBlock): Promise<void> {
    const store = core.store;
    store.applying = true;
    try {
        await core.db.batch(blockOps(block));
        for (const tx of block.txs) for (const write of tx.writes) store.cache.update(write.key, write.value);
    } finally {
        store.generation += 1;
        store.applying = false;
    }
}

/** Cuts the bytes of an interrupted append off the end of the file, before the next append. */
export async function cutTail(core: LedgerCore): Promise<void> {
    if (!core.tail) return;
    await core.file.truncate(core.tail.offset);
    core.tail = undefined;
}

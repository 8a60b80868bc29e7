/**
 * Opening, the first half: everything before recovery looks at the blocks. It checks the identity,
 * creates the directory or refuses a missing ledger (before LevelDB would create one), waits its
 * turn for the lock, removes a killed verify()'s scratch databases, opens the block file, picks
 * the contract, and then hands over to recovery. If any of that fails, what it opened is closed
 * and the lock released, so a failed open leaves nothing held.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import { checkIdentity, type LocalIdentity } from '@hyperprov/ledger';
import { BlockFile } from './block-file.js';
import { loadProvenanceContract, loadProvenanceQueries, type ContractBinding } from './contract-host.js';
import { createLedgerCore, type LedgerCore } from './ledger-core.js';
import { LEDGER_FILES } from './ledger-files.js';
import { openLocked, releaseOwner } from './ledger-lock.js';
import { recover } from './recovery.js';
import { openDb } from './state-db.js';
import { VERIFY_SCRATCH_PREFIX } from './verify.js';

/** Options of {@link openEmbeddedLedger}. */
export interface EmbeddedLedgerOptions {
    /** Directory of the ledger (created if missing, unless `create` is false). */
    dir: string;
    /**
     * Create a new ledger when `dir` holds none (default true). An initialised project passes
     * false: its ledger was created at init, so a missing one (moved, deleted, mistyped path) is
     * an error (LEDGER_CORRUPT), never silently replaced by an empty ledger that hides every record.
     */
    create?: boolean;
    /**
     * With `create: false`, the message of the LEDGER_CORRUPT error when there is no ledger, given
     * the path of the missing block file: a caller that knows why the ledger must exist (the
     * tracker names the config and its `ledger.dir`) says so here instead of checking again.
     */
    missingMessage?: (blocksPath: string) => string;
    /** Signs blocks and is the creator of every transaction. */
    identity: LocalIdentity;
    /** `fsync` (default): a resolved submit survives power loss. `none`: survives process crashes only. */
    durability?: 'fsync' | 'none';
    /** The contract to run; default the provenance contract from @hyperprov/chaincode. */
    contract?: ContractBinding;
    /** How long to wait in line for other processes to release the ledger; default 120 000 ms. */
    lockTimeoutMs?: number;
    /** Told once, when the ledger has been busy for a second, whom this open waits for. */
    onLockWait?: (message: string) => void;
    /** Entries in the committed-state read cache; default 50 000. */
    cacheEntries?: number;
    /** Most transactions in one block; default 1000. */
    maxBlockTransactions?: number;
}

/** A ledger opened and recovered, with what its read and write paths need. */
export interface OpenedLedger {
    core: LedgerCore;
    /** The contract, or how to load it (on the first submit). */
    binding: ContractBinding | (() => Promise<ContractBinding>);
    /** The contract's evaluate transactions, loaded without fabric-contract-api. */
    queries: ContractBinding;
    maxBlockTxs: number;
}

/** Long enough for dozens of queued commands (each holds the ledger for well under a second). */
const DEFAULT_LOCK_TIMEOUT_MS = 120_000;

/** Opens (creating or recovering) the ledger in `options.dir`; see the file comment. */
export async function openLedgerCore(options: EmbeddedLedgerOptions): Promise<OpenedLedger> {
    checkIdentity(options.identity, 'the identity given to the ledger');
    const dir = resolve(options.dir);
    const create = options.create ?? true;
    const blocksPath = join(dir, LEDGER_FILES.blocks);
    if (create) {
        try {
            await mkdir(dir, { recursive: true });
        } catch (error) {
            throw new TrackerError('LEDGER_UNAVAILABLE', `cannot create the ledger directory ${dir}: ${(error as Error).message}`, { cause: error });
        }
    } else if (!(await isFile(blocksPath))) {
        // Checked before LevelDB is opened, which would create state/ (and so a ledger folder).
        throw new TrackerError(
            'LEDGER_CORRUPT',
            options.missingMessage?.(blocksPath) ??
                `there is no ledger in ${dir} (${blocksPath} does not exist) and none may be created here; restore the ledger directory from a backup, or open the right one`,
        );
    }
    const db = await openLocked(() => openDb(join(dir, LEDGER_FILES.state)), dir, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS, options.onLockWait);
    let file: BlockFile | undefined;
    try {
        // Scratch databases of a verify() that was killed; nobody else can be verifying now.
        for (const name of await readdir(dir)) {
            if (name.startsWith(VERIFY_SCRATCH_PREFIX)) await rm(join(dir, name), { recursive: true, force: true });
        }
        file = await BlockFile.open(blocksPath, { sync: (options.durability ?? 'fsync') === 'fsync', create });
        // The contract (and fabric-contract-api) is loaded at the first submit; reads run the
        // contract's own query functions, which load without it.
        const binding = options.contract ?? (() => loadProvenanceContract());
        const queries = options.contract ?? loadProvenanceQueries();
        const core = createLedgerCore(dir, options.identity, db, file, options.cacheEntries ?? 50_000);
        await recover(core, create);
        return { core, binding, queries, maxBlockTxs: Math.max(1, options.maxBlockTransactions ?? 1000) };
    } catch (error) {
        await file?.close().catch(() => undefined);
        await db.close().catch(() => undefined);
        await releaseOwner(dir);
        if (error instanceof TrackerError) throw error;
        throw new TrackerError('LEDGER_UNAVAILABLE', `cannot open the ledger in ${dir}: ${(error as Error).message}`, { cause: error });
    }
}

async function isFile(path: string): Promise<boolean> {
    try {
        return (await stat(path)).isFile();
    } catch {
        return false;
    }
}

/**
 * The ledger backends a project can be configured with, one typed entry each, loaded on first
 * use: a command that never opens the ledger (`--help`) loads none of them, and the embedded
 * ledger's contract (fabric-contract-api) is only imported by a process that opens it.
 */
import path from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import type { Ledger, LocalIdentity } from '@hyperprov/ledger';
import type { LedgerVerification } from '@hyperprov/ledger-embedded';
import { CONFIG_FILENAME, resolveConfigPath, type LedgerConfig } from '../config/index.js';

/** A ledger that may check itself locally (the embedded one does; a Fabric network is checked by its peers). */
export type VerifiableLedger = Ledger & { verify?: () => Promise<LedgerVerification> };

/** What opening a backend is given. */
export interface LedgerOpenContext<C extends LedgerConfig> {
    config: C;
    /** The project's `.hyperprov/` folder; relative paths in the config are relative to it. */
    hyperprovDir: string;
    identity: LocalIdentity;
    /**
     * Whether a missing ledger may be created: only init may. init creates the ledger before it
     * writes the config, so a project with a config had a ledger, and a missing one was moved,
     * deleted or mistyped in the config; starting an empty one instead would hide every record
     * (and `verify` would call it OK).
     */
    create: boolean;
    /** Told when the ledger is busy and this open waits its turn for it. */
    onWait?: (message: string) => void;
}

/** One backend: the package it lives in and how to open it from its config section. */
export interface LedgerBackend<C extends LedgerConfig> {
    /** The npm package, named in the error when it is missing. */
    packageName: string;
    open(context: LedgerOpenContext<C>): Promise<VerifiableLedger>;
}

type Backends = { [B in LedgerConfig['backend']]?: LedgerBackend<Extract<LedgerConfig, { backend: B }>> };

/** Every backend this build knows. */
export const LEDGER_BACKENDS: Readonly<Backends> = {
    embedded: {
        packageName: '@hyperprov/ledger-embedded',
        async open({ config, hyperprovDir, identity, create, onWait }) {
            const { openEmbeddedLedger } = await loadBackend('@hyperprov/ledger-embedded', () => import('@hyperprov/ledger-embedded'));
            // The ledger itself checks that it exists; the project only says why it must.
            const missingMessage = (blocks: string): string =>
                `this project's ledger is missing: ${blocks} does not exist. ${path.join(hyperprovDir, CONFIG_FILENAME)} sets "ledger.dir" to ` +
                `${JSON.stringify(config.dir)}, and the ledger was created there at init, so it was moved or deleted, or "ledger.dir" is mistyped; ` +
                'no new empty ledger is started, since it would hide every record. Fix "ledger.dir", or put the ledger folder back (restore it from a backup)';
            return openEmbeddedLedger({
                dir: resolveConfigPath(hyperprovDir, config.dir),
                identity,
                durability: config.durability,
                create,
                missingMessage,
                ...(onWait && { onLockWait: onWait }),
            });
        },
    },
    fabric: {
        packageName: '@hyperprov/ledger-fabric',
        async open({ config, hyperprovDir, identity }) {
            const { openFabricLedger } = await loadFabricPackage();
            return openFabricLedger({
                connection: resolveConfigPath(hyperprovDir, config.connection),
                identity,
                ...(config.org !== undefined && { org: config.org }),
            });
        },
    },
};

/** The Fabric backend package, for init and enroll too (connection files, the CA client). */
export function loadFabricPackage(): Promise<typeof import('@hyperprov/ledger-fabric')> {
    return loadBackend('@hyperprov/ledger-fabric', () => import('@hyperprov/ledger-fabric'));
}

/** Opens the configured ledger backend. */
export async function openLedgerBackend(context: LedgerOpenContext<LedgerConfig>): Promise<VerifiableLedger> {
    const backend = LEDGER_BACKENDS[context.config.backend] as LedgerBackend<LedgerConfig> | undefined;
    if (!backend) {
        throw new TrackerError(
            'LEDGER_UNAVAILABLE',
            `this project is configured for a ${context.config.backend} ledger, but this build has no ${context.config.backend} backend; ` +
                `use the embedded ledger (ledger.backend "embedded" in .hyperprov/config.json)`,
        );
    }
    return backend.open(context);
}

async function loadBackend<T>(packageName: string, load: () => Promise<T>): Promise<T> {
    try {
        return await load();
    } catch (error) {
        throw new TrackerError('LEDGER_UNAVAILABLE', `the ledger backend ${packageName} is not installed or not built; run \`npm install\` and \`npm run build\``, {
            cause: error,
        });
    }
}

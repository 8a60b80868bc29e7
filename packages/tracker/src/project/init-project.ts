/**
 * `initTracker`: a new project. Everything is built in a temporary folder beside `.hyperprov/`
 * and renamed into place at the end, so a failed init leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultConfig, HYPERPROV_DIRNAME, projectPaths, resolveConfigPath, writeConfig } from '../config/index.js';
import { TrackerError } from '@hyperprov/errors';
import { createLocalIdentity, saveLocalIdentity } from '@hyperprov/ledger';
import { projectStoreModes, toProjectRelative } from '../stores/project-store.js';
import { openLedgerBackend } from './ledger-backends.js';
import { prepareFabricProject } from './fabric-project.js';
import type { InitResult, InitTrackerOptions } from '../tracker.js';

/**
 * Creates `.hyperprov/` in `dir`: config, a new local identity, the embedded ledger (or, with
 * `fabric`, the network's connection file and one of its users, checked by a call to it). Built in a
 * temporary folder and renamed into place at the end, so a failed init leaves nothing behind and
 * never touches an existing project.
 */
export async function initTracker(options: InitTrackerOptions = {}): Promise<InitResult> {
    const { projectDir, hyperprovDir } = projectPaths(options.dir ?? process.cwd());
    if (await exists(hyperprovDir)) {
        throw new TrackerError('ALREADY_EXISTS', `${hyperprovDir} already exists: this project is initialised (remove that folder to start over)`);
    }
    const storeUrl = toProjectRelative(options.store ?? path.join(hyperprovDir, 'objects'), projectDir);
    const config = defaultConfig(storeUrl);
    if (options.durability && config.ledger.backend === 'embedded') config.ledger.durability = options.durability;
    if (options.fabric && (options.durability || options.mspId)) {
        throw new TrackerError('INVALID_ARGUMENT', 'durability and MSP id are the embedded ledger\'s options; a Fabric network has its own durability, and the MSP is the organisation\'s (--org)');
    }
    // Read before anything is created, so a bad connection file leaves no trace.
    const fabric = options.fabric && (await prepareFabricProject({ ...options.fabric, connection: path.resolve(options.fabric.connection) }));
    if (fabric) config.ledger = fabric.ledger;

    await mkdir(projectDir, { recursive: true });
    const staging = path.join(projectDir, `${HYPERPROV_DIRNAME}.init-${randomBytes(6).toString('hex')}`);
    try {
        // No more open than the project directory, and closed to other users: it holds the key.
        await mkdir(staging, { mode: (await projectStoreModes(projectDir)).dirMode });
        const identity = fabric ? fabric.identity : await createLocalIdentity(options.mspId ? { mspId: options.mspId } : {});
        await saveLocalIdentity(resolveConfigPath(staging, config.identity.dir), identity);
        if (fabric) await writeFile(resolveConfigPath(staging, fabric.ledger.connection), fabric.connectionText, { mode: 0o600 });
        // Creating the ledger now proves it works here and writes its first block (on Fabric: that
        // the network answers and accepts the identity). Only init creates one: the config
        // written next is the durable mark that this project has a ledger.
        const ledger = await openLedgerBackend({ config: config.ledger, hyperprovDir: staging, identity, create: true });
        try {
            await ledger.info();
        } finally {
            await ledger.close();
        }
        await writeConfig(staging, config);
        try {
            await rename(staging, hyperprovDir);
        } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === 'EEXIST' || code === 'ENOTEMPTY') {
                throw new TrackerError('ALREADY_EXISTS', `${hyperprovDir} appeared while initialising; another init ran at the same time`, { cause: error });
            }
            throw error;
        }
        return { projectDir, hyperprovDir, config, identity: { mspId: identity.mspId, certificate: identity.certificatePem } };
    } catch (error) {
        await rm(staging, { recursive: true, force: true });
        if (error instanceof TrackerError) throw error;
        throw new TrackerError('INTERNAL', `init failed in ${projectDir}: ${(error as Error).message}`, { cause: error });
    }
}

async function exists(file: string): Promise<boolean> {
    try {
        await stat(file);
        return true;
    } catch {
        return false;
    }
}

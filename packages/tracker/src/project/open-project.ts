/** `openTracker`: the project containing a directory, with its ledger open and checked. */
import { createReleasableLedger } from '../client/releasable-ledger.js';
import { findProjectDir, readConfig, resolveConfigPath } from '../config/index.js';
import { loadLocalIdentity } from '@hyperprov/ledger';
import { openLedgerBackend } from './ledger-backends.js';
import type { OpenTrackerOptions, Tracker } from '../tracker.js';
import { projectStoreModes, resolveProjectStore } from '../stores/project-store.js';
import { ProjectTracker } from './project-tracker.js';

/** Opens the project containing `dir` (walking up to the nearest `.hyperprov/`). */
export async function openTracker(options: OpenTrackerOptions = {}): Promise<Tracker> {
    const { projectDir, hyperprovDir } = await findProjectDir(options.dir ?? process.cwd());
    const config = await readConfig(hyperprovDir);
    const identity = await loadLocalIdentity(resolveConfigPath(hyperprovDir, config.identity.dir));
    const ledger = createReleasableLedger(() =>
        openLedgerBackend({ config: config.ledger, hyperprovDir, identity, create: false, ...(options.onLedgerWait && { onWait: options.onLedgerWait }) }),
    );
    // Open now, so a locked or damaged ledger is reported before any work starts.
    await ledger.use(async () => undefined);
    const store = await resolveProjectStore(config.store, projectDir);
    const modes = await projectStoreModes(projectDir);
    return new ProjectTracker(projectDir, hyperprovDir, config, store, modes, ledger, options, { mspId: identity.mspId, certificatePem: identity.certificatePem });
}


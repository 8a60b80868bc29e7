/** `openTracker`: the project containing a directory, with its ledger open and checked. */
import { createReleasableLedger } from '../client/releasable-ledger.js';
import { findProjectDir, readConfig, resolveConfigPath } from '../config/index.js';
import { loadLocalIdentity } from '@hyperprov/ledger';
import { openLedgerBackend } from './ledger-backends.js';
import type { OpenTrackerOptions, Tracker } from '../tracker.js';
import { projectStoreModes, resolveProjectStore } from '../stores/project-store.js';
import { ProjectTracker } from './project-tracker.js';
import { runningServer } from './running-server.js';
import { TrackerError } from '@hyperprov/errors';

/** Opens the project containing `dir` (walking up to the nearest `.hyperprov/`). */
export async function openTracker(options: OpenTrackerOptions = {}): Promise<Tracker> {
    const { projectDir, hyperprovDir } = await findProjectDir(options.dir ?? process.cwd());
    const config = await readConfig(hyperprovDir);
    const identity = await loadLocalIdentity(resolveConfigPath(hyperprovDir, config.identity.dir));
    // A running project server holds the embedded ledger until it stops: waiting in line for it
    // would only end in the lock's timeout, so such a tracker says so at once instead. Its epochs
    // need no ledger here: the server drains the shared outbox. Checked at every open, so once the
    // server stops (or died), this tracker opens the ledger itself.
    const embedded = config.ledger.backend === 'embedded';
    const ledger = createReleasableLedger(async () => {
        const server = embedded ? runningServer(hyperprovDir) : undefined;
        if (server !== undefined) throw serverHoldsLedger(server);
        return openLedgerBackend({ config: config.ledger, hyperprovDir, identity, create: false, ...(options.onLedgerWait && { onWait: options.onLedgerWait }) });
    });
    // Open now, so a locked or damaged ledger is reported before any work starts.
    if (!embedded || runningServer(hyperprovDir) === undefined) await ledger.use(async () => undefined);
    const store = await resolveProjectStore(config.store, projectDir);
    const modes = await projectStoreModes(projectDir);
    return new ProjectTracker(projectDir, hyperprovDir, config, store, modes, ledger, options, { mspId: identity.mspId, certificatePem: identity.certificatePem });
}

function serverHoldsLedger(server: { pid: number; url: string }): TrackerError {
    return new TrackerError(
        'LEDGER_UNAVAILABLE',
        `the project server (pid ${server.pid}, ${server.url}) holds this project's ledger while it runs; epochs handed to this tracker are recorded by it. ` +
            'Read records through the server (@hyperprov/server/client, or the hyperprov CLI, which forwards to it), or stop it (`hyperprov serve --stop`) to use the ledger here',
    );
}

/** Runs the Ledger conformance suite against the embedded ledger (real LevelDB, real files). */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalIdentity, type LocalIdentity } from '@hyperprov/ledger';
import { describeLedgerConformance } from '@hyperprov/ledger/conformance';
import { openEmbeddedLedger } from './embedded-ledger.js';

let identity: Promise<LocalIdentity> | undefined;

describeLedgerConformance('embedded', async () => {
    identity ??= createLocalIdentity({ name: 'conformance' });
    const dir = await mkdtemp(join(tmpdir(), 'hyperprov-ledger-'));
    const ledger = await openEmbeddedLedger({ dir, identity: await identity });
    return {
        ledger,
        cleanup: async () => {
            await ledger.close();
            await rm(dir, { recursive: true, force: true });
        },
    };
});

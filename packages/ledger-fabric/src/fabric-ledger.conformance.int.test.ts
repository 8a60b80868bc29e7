/** Runs the Ledger conformance suite against a real Fabric network (started by fabric-network's vitest globalSetup, see vitest.config.ts). */
import { inject } from 'vitest';
import { describeLedgerConformance } from '@hyperprov/ledger/conformance';
import { loadConnectionFile } from './connection-file.js';
import { loadConnectionUser } from './connection-identity.js';
import { openFabricLedger } from './fabric-ledger.js';

describeLedgerConformance(
    'fabric',
    async () => {
        const connection = await loadConnectionFile(inject('fabricConnection'));
        const ledger = await openFabricLedger({ connection, identity: await loadConnectionUser(connection, { org: 'Org1', user: 'User1' }) });
        return { ledger, cleanup: () => ledger.close() };
    },
    { timeout: 60_000 },
);

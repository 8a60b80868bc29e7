import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLocalIdentity, type LocalIdentity } from '@hyperprov/ledger';
import { fabricClientId, LocalClientIdentity } from './client-identity.js';

let identity: LocalIdentity;
beforeAll(async () => {
    identity = await createLocalIdentity({ mspId: 'Org1MSP', name: 'alice' });
});

describe('LocalClientIdentity', () => {
    it('gives the same client id as fabric-shim ClientIdentity, byte for byte', () => {
        const require = createRequire(import.meta.url);
        const { ClientIdentity } = require('fabric-shim') as {
            ClientIdentity: new (stub: unknown) => { getID(): string; getMSPID(): string };
        };
        const stub = {
            getChannelID: () => 'ch',
            getTxID: () => 'tx',
            getCreator: () => ({ mspid: identity.mspId, idBytes: Buffer.from(identity.certificatePem) }),
        };
        const shim = new ClientIdentity(stub);
        const local = new LocalClientIdentity(identity);
        expect(local.getID()).toBe(shim.getID());
        expect(local.getMSPID()).toBe(shim.getMSPID());
        expect(fabricClientId(identity.certificatePem)).toBe('x509::/O=org1msp/OU=client/CN=alice::/O=org1msp/CN=ca.org1msp');
    });

});

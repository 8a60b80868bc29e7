import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackerError } from '@hyperprov/errors';
import { createLocalIdentity } from '@hyperprov/ledger';
import { CONNECTION_FORMAT, findOrganization, loadConnectionFile, parseConnectionFile } from './connection-file.js';
import { loadConnectionUser } from './connection-identity.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function sample(): Record<string, unknown> {
    return {
        format: CONNECTION_FORMAT,
        channel: 'hyperprov',
        chaincode: 'hyperprov',
        organizations: [
            {
                name: 'Org1',
                mspId: 'Org1MSP',
                peers: [{ name: 'peer0.org1.example.com', endpoint: '127.0.0.1:7051', tlsHostname: 'localhost', tlsRootCertPem: PEM }],
                ca: { url: 'https://127.0.0.1:7054', caName: 'ca-org1', tlsRootCertPem: PEM, registrar: { enrollId: 'admin', enrollSecret: 'adminpw' } },
                users: { User1: { certificate: 'crypto/user1/msp/signcerts/cert.pem', privateKey: 'crypto/user1/msp/keystore/priv_sk' } },
            },
            { name: 'Org2', mspId: 'Org2MSP', peers: [{ name: 'peer0.org2.example.com', endpoint: '127.0.0.1:9051', tlsRootCertPem: PEM }] },
        ],
        orderers: [{ name: 'orderer1.example.com', endpoint: '127.0.0.1:7050', tlsHostname: 'localhost', tlsRootCertPem: PEM }],
    };
}

function problemsOf(value: unknown): string {
    try {
        parseConnectionFile(value, { baseDir: '/net', source: 'connection file /net/connection.json' });
    } catch (error) {
        expect(error).toBeInstanceOf(TrackerError);
        expect((error as TrackerError).code).toBe('INVALID_ARGUMENT');
        return (error as TrackerError).message;
    }
    throw new Error('parsed');
}

describe('parseConnectionFile', () => {
    it('parses the sample, resolving user paths against the file folder and defaulting tlsHostname to the endpoint host', () => {
        const parsed = parseConnectionFile(sample(), { baseDir: '/net' });
        expect(parsed.channel).toBe('hyperprov');
        expect(parsed.organizations.map((o) => o.mspId)).toEqual(['Org1MSP', 'Org2MSP']);
        expect(parsed.organizations[0]?.users.User1).toEqual({ certificate: '/net/crypto/user1/msp/signcerts/cert.pem', privateKey: '/net/crypto/user1/msp/keystore/priv_sk' });
        expect(parsed.organizations[0]?.ca?.registrar).toEqual({ enrollId: 'admin', enrollSecret: 'adminpw' });
        expect(parsed.organizations[1]?.peers[0]?.tlsHostname).toBe('127.0.0.1');
        expect(parsed.organizations[1]?.users).toEqual({});
        expect(parsed.orderers).toHaveLength(1);
    });

    it('accepts a file without ca, users and orderers', () => {
        const value = sample();
        delete value.orderers;
        const orgs = value.organizations as Record<string, unknown>[];
        delete orgs[0]?.ca;
        delete orgs[0]?.users;
        expect(parseConnectionFile(value).orderers).toEqual([]);
    });

    it('names every wrong field and what to put there, in one error', () => {
        const value = sample();
        value.format = 'hyperprov-fabric-connection/0';
        delete value.channel;
        const org = (value.organizations as Record<string, unknown>[])[0] as Record<string, unknown>;
        org.peers = [{ name: 'p', endpoint: 'grpcs://127.0.0.1:7051', tlsRootCertPem: 'crypto/tls/ca.crt' }];
        org.ca = { url: 'ftp://x', tlsRootCertPem: PEM, registrar: { enrollId: 'admin' } };
        const message = problemsOf(value);
        expect(message).toContain('connection file /net/connection.json is not valid');
        expect(message).toContain(`format must be "${CONNECTION_FORMAT}"`);
        expect(message).toContain('channel is missing');
        expect(message).toContain('organizations[0].peers[0].endpoint must be "host:port"');
        expect(message).toContain('organizations[0].peers[0].tlsRootCertPem is not a PEM certificate');
        expect(message).toContain('organizations[0].ca.url must be an http(s) URL');
        expect(message).toContain('organizations[0].ca.registrar.enrollSecret is missing');
    });

    it('requires organisations with peers, and unique names and MSP ids', () => {
        expect(problemsOf({ ...sample(), organizations: [] })).toContain('organizations must list at least one organisation');
        const value = sample();
        const orgs = value.organizations as Record<string, unknown>[];
        (orgs[1] as Record<string, unknown>).mspId = 'Org1MSP';
        (orgs[1] as Record<string, unknown>).peers = [];
        const message = problemsOf(value);
        expect(message).toContain('organizations[1].peers must list at least one peer');
        expect(message).toContain('the mspId "Org1MSP" twice');
        expect(problemsOf('x')).toContain('is not a JSON object');
    });

    it('takes an optional list of endorsing organisations, and refuses an empty, repeated or non-text one', () => {
        expect(parseConnectionFile(sample()).endorsingOrganizations).toBeUndefined();
        expect(parseConnectionFile({ ...sample(), endorsingOrganizations: ['Org1MSP', 'Org2MSP'] }).endorsingOrganizations).toEqual(['Org1MSP', 'Org2MSP']);
        // An organisation the file does not list is allowed: the gateway knows the channel's members.
        expect(parseConnectionFile({ ...sample(), endorsingOrganizations: ['Org3MSP'] }).endorsingOrganizations).toEqual(['Org3MSP']);
        expect(problemsOf({ ...sample(), endorsingOrganizations: [] })).toContain('endorsingOrganizations must list the MSP ids');
        expect(problemsOf({ ...sample(), endorsingOrganizations: 'Org1MSP' })).toContain('or be left out to let the gateway choose');
        expect(problemsOf({ ...sample(), endorsingOrganizations: ['Org1MSP', ''] })).toContain('endorsingOrganizations must list');
        expect(problemsOf({ ...sample(), endorsingOrganizations: ['Org1MSP', 'Org1MSP'] })).toContain('endorsingOrganizations names "Org1MSP" twice');
    });

    it('finds an organisation by name or MSP id, the first by default, and lists the others when it is missing', () => {
        const parsed = parseConnectionFile(sample());
        expect(findOrganization(parsed).name).toBe('Org1');
        expect(findOrganization(parsed, 'Org2MSP').name).toBe('Org2');
        expect(findOrganization(parsed, 'Org2').mspId).toBe('Org2MSP');
        expect(() => findOrganization(parsed, 'Org3')).toThrow(/has no organisation "Org3"; it lists Org1 \(Org1MSP\), Org2 \(Org2MSP\)/);
    });
});

describe('loadConnectionFile and loadConnectionUser', () => {
    let dir: string;
    beforeAll(async () => {
        dir = await mkdtemp(join(tmpdir(), 'hyperprov-connection-'));
    });
    afterAll(async () => {
        await rm(dir, { recursive: true, force: true });
    });

    it('says a missing file is a network not up, and bad JSON is a file to fix', async () => {
        await expect(loadConnectionFile(join(dir, 'none.json'))).rejects.toMatchObject({ code: 'LEDGER_UNAVAILABLE', message: expect.stringContaining('hyperprov-network up') });
        await writeFile(join(dir, 'bad.json'), '{');
        await expect(loadConnectionFile(join(dir, 'bad.json'))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('is not valid JSON') });
    });

    it('loads a user in the cryptogen layout as a LocalIdentity, its issuer found in the MSP cacerts folder', async () => {
        const identity = await createLocalIdentity({ mspId: 'Org1MSP', name: 'User1' });
        const msp = join(dir, 'crypto', 'user1', 'msp');
        await mkdir(join(msp, 'signcerts'), { recursive: true });
        await mkdir(join(msp, 'keystore'), { recursive: true });
        await mkdir(join(msp, 'cacerts'), { recursive: true });
        await writeFile(join(msp, 'signcerts', 'cert.pem'), identity.certificatePem);
        await writeFile(join(msp, 'keystore', 'priv_sk'), identity.privateKeyPem);
        const other = await createLocalIdentity({ mspId: 'Org1MSP' });
        await writeFile(join(msp, 'cacerts', 'a-other.pem'), other.caCertificatePem);
        await writeFile(join(msp, 'cacerts', 'ca.org1-cert.pem'), identity.caCertificatePem);
        await writeFile(join(dir, 'connection.json'), JSON.stringify(sample()));
        const connection = await loadConnectionFile(join(dir, 'connection.json'));
        const loaded = await loadConnectionUser(connection, { org: 'Org1', user: 'User1' });
        expect(loaded).toEqual({ ...identity, mspId: 'Org1MSP' });
        await expect(loadConnectionUser(connection, { org: 'Org2' })).rejects.toThrow(/Org2 has no user .*it lists none/);
        await writeFile(join(msp, 'keystore', 'priv_sk'), other.privateKeyPem);
        await expect(loadConnectionUser(connection)).rejects.toThrow(/does not belong to the certificate/);
        await rm(join(msp, 'keystore', 'priv_sk'));
        await expect(loadConnectionUser(connection)).rejects.toThrow(/cannot read the private key .*ENOENT/);
    });
});

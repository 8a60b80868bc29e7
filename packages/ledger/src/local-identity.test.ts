import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { X509Certificate } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrackerError } from '@hyperprov/errors';
import { IDENTITY_FILES, checkIdentity, createLocalIdentity, loadLocalIdentity, saveLocalIdentity, type LocalIdentity } from './local-identity.js';
import { createLocalSigner, createSignatureVerifier } from './local-signer.js';

describe('local identity', { timeout: 30_000 }, () => {
    let identity: LocalIdentity;
    let dir: string;

    beforeAll(async () => {
        identity = await createLocalIdentity({ mspId: 'Org1MSP', name: 'alice' });
        dir = await mkdtemp(join(tmpdir(), 'hyperprov-identity-'));
    });
    afterAll(async () => {
        await rm(dir, { recursive: true, force: true });
    });

    it('creates a P-256 member certificate issued by a local CA, like a Fabric MSP member', () => {
        const cert = new X509Certificate(identity.certificatePem);
        const ca = new X509Certificate(identity.caCertificatePem);
        expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
        expect(cert.checkIssued(ca)).toBe(true);
        expect(cert.verify(ca.publicKey)).toBe(true);
        expect(ca.ca).toBe(true);
        expect(cert.ca).toBe(false);
        expect(cert.subject).toContain('CN=alice');
        expect(cert.subject).toContain('OU=client');
        expect(identity.mspId).toBe('Org1MSP');
    });

    it('saves with a private key readable only by the owner and loads back the same identity', async () => {
        await saveLocalIdentity(dir, identity);
        expect((await stat(join(dir, IDENTITY_FILES.privateKey))).mode & 0o777).toBe(0o600);
        const loaded = await loadLocalIdentity(dir);
        expect(loaded).toEqual(identity);
    });

    it('signs with the key and verifies with the certificate', () => {
        const data = Buffer.from('block body');
        const signature = createLocalSigner(identity).sign(data);
        const verifier = createSignatureVerifier(identity.certificatePem);
        expect(verifier.verify(data, signature)).toBe(true);
        expect(verifier.verify(Buffer.from('block bodY'), signature)).toBe(false);
    });

    it('refuses a key that does not belong to the certificate', async () => {
        const other = await createLocalIdentity({ name: 'bob' });
        expect(() => checkIdentity({ ...identity, privateKeyPem: other.privateKeyPem })).toThrow(/does not match/);
        expect(() => checkIdentity({ ...identity, caCertificatePem: other.caCertificatePem })).toThrow(/not issued/);
        const badDir = await mkdtemp(join(tmpdir(), 'hyperprov-identity-bad-'));
        try {
            await saveLocalIdentity(badDir, identity);
            await writeFile(join(badDir, IDENTITY_FILES.privateKey), other.privateKeyPem);
            await expect(loadLocalIdentity(badDir)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        } finally {
            await rm(badDir, { recursive: true, force: true });
        }
    });

    it('says to restore a missing identity from a backup (init refuses in an existing project, and a new identity cannot open its ledger)', async () => {
        const error = await loadLocalIdentity(join(dir, 'missing')).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TrackerError);
        expect((error as TrackerError).code).toBe('NOT_INITIALIZED');
        expect((error as TrackerError).message).toMatch(/restore it from a backup: the ledger accepts only the identity that created it/);
        expect((error as TrackerError).message).not.toContain('hyperprov init');
    });

    it('rejects names that would make odd certificate subjects', async () => {
        await expect(createLocalIdentity({ name: 'a/b,CN=x' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        await expect(createLocalIdentity({ mspId: '' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
        expect((await readFile(join(dir, IDENTITY_FILES.mspId), 'utf8')).trim()).toBe('Org1MSP');
    });
});

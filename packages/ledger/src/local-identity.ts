/**
 * The local identity: an ECDSA P-256 key and an X.509 member certificate issued by a local CA,
 * shaped like a Fabric MSP member (cryptogen layout), so the same contract sees the same kind of
 * creator id on the embedded ledger as on a Fabric network.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { createPrivateKey, createPublicKey, X509Certificate, webcrypto } from 'node:crypto';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { TrackerError } from '@hyperprov/errors';

/** A local signing identity: PEM texts only, so it can be saved, loaded and passed around. */
export interface LocalIdentity {
    /** MSP id the identity belongs to (the creator `mspId` of every record it writes). */
    mspId: string;
    /** Member certificate (PEM), signed by `caCertificatePem`. */
    certificatePem: string;
    /** PKCS#8 ECDSA P-256 private key of the member certificate (PEM). */
    privateKeyPem: string;
    /** Self-signed local CA certificate (PEM) that issued the member certificate. */
    caCertificatePem: string;
}

/** Options of {@link createLocalIdentity}. */
export interface CreateLocalIdentityOptions {
    /** MSP id; default `LocalMSP`. */
    mspId?: string;
    /** Common name of the member certificate; default the OS user name. */
    name?: string;
    /** Validity in days; default 3650 (like cryptogen). */
    validityDays?: number;
}

/** File names inside an identity directory (Fabric MSP-like names). */
export const IDENTITY_FILES = {
    certificate: 'cert.pem',
    privateKey: 'key.pem',
    caCertificate: 'ca-cert.pem',
    mspId: 'msp-id',
} as const;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/**
 * Creates a new identity: a local CA (self-signed, ECDSA P-256) and a member certificate signed
 * by it, with `OU=client` as Fabric's NodeOUs expect. Loads @peculiar/x509 lazily because only
 * `hyperprov init` needs it and it is slow to import.
 */
export async function createLocalIdentity(options: CreateLocalIdentityOptions = {}): Promise<LocalIdentity> {
    const mspId = options.mspId ?? 'LocalMSP';
    const name = options.name ?? safeUserName();
    if (!NAME_PATTERN.test(mspId)) {
        throw new TrackerError('INVALID_ARGUMENT', `MSP id "${mspId}" is not valid: use 1-64 letters, digits, '.', '_', '@' or '-'`);
    }
    if (!NAME_PATTERN.test(name)) {
        throw new TrackerError('INVALID_ARGUMENT', `identity name "${name}" is not valid: use 1-64 letters, digits, '.', '_', '@' or '-'`);
    }
    // @peculiar/x509 depends on tsyringe, which needs the Reflect metadata polyfill loaded first.
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    const crypto = webcrypto;
    x509.cryptoProvider.set(crypto as never);
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const caKeys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const memberKeys = (await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const notBefore = new Date(Date.now() - 5 * 60_000);
    const notAfter = new Date(notBefore.getTime() + (options.validityDays ?? 3650) * 86_400_000);
    const org = mspId.toLowerCase();
    const caName = `O=${org}, CN=ca.${org}`;
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
        name: caName,
        keys: caKeys,
        notBefore,
        notAfter,
        signingAlgorithm: algorithm,
        extensions: [
            new x509.BasicConstraintsExtension(true, undefined, true),
            new x509.KeyUsagesExtension(
                x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
                true,
            ),
            await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
        ],
    });
    const member = await x509.X509CertificateGenerator.create({
        subject: `O=${org}, OU=client, CN=${name}`,
        issuer: ca.subject,
        publicKey: memberKeys.publicKey,
        signingKey: caKeys.privateKey,
        notBefore,
        notAfter,
        signingAlgorithm: algorithm,
        extensions: [
            new x509.BasicConstraintsExtension(false, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
            await x509.SubjectKeyIdentifierExtension.create(memberKeys.publicKey),
            await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ],
    });
    const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', memberKeys.privateKey));
    return {
        mspId,
        certificatePem: ensureTrailingNewline(member.toString('pem')),
        privateKeyPem: ensureTrailingNewline(x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')),
        caCertificatePem: ensureTrailingNewline(ca.toString('pem')),
    };
}

/**
 * Writes the identity into `dir` (created if missing): PEM files plus the MSP id. The private key
 * file is created with mode 0600 and every file is written to a temp name and renamed, so a crash
 * never leaves a half-written key.
 */
export async function saveLocalIdentity(dir: string, identity: LocalIdentity): Promise<void> {
    checkIdentity(identity, dir);
    try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await writeAtomic(join(dir, IDENTITY_FILES.privateKey), identity.privateKeyPem, 0o600);
        await writeAtomic(join(dir, IDENTITY_FILES.certificate), identity.certificatePem, 0o644);
        await writeAtomic(join(dir, IDENTITY_FILES.caCertificate), identity.caCertificatePem, 0o644);
        await writeAtomic(join(dir, IDENTITY_FILES.mspId), `${identity.mspId}\n`, 0o644);
    } catch (error) {
        throw new TrackerError('INTERNAL', `could not save the identity in ${dir}: ${(error as Error).message}; check the directory's permissions and free space`, { cause: error });
    }
}

/** Reads an identity written by {@link saveLocalIdentity} and checks that key and certificate belong together. */
export async function loadLocalIdentity(dir: string): Promise<LocalIdentity> {
    let identity: LocalIdentity;
    try {
        const [certificatePem, privateKeyPem, caCertificatePem, mspId] = await Promise.all([
            readFile(join(dir, IDENTITY_FILES.certificate), 'utf8'),
            readFile(join(dir, IDENTITY_FILES.privateKey), 'utf8'),
            readFile(join(dir, IDENTITY_FILES.caCertificate), 'utf8'),
            readFile(join(dir, IDENTITY_FILES.mspId), 'utf8'),
        ]);
        identity = { mspId: mspId.trim(), certificatePem, privateKeyPem, caCertificatePem };
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
            // `hyperprov init` would refuse (the project exists), and a new identity would not
            // open this ledger anyway: only a backup helps.
            throw new TrackerError(
                'NOT_INITIALIZED',
                `no identity in ${dir} (${(error as NodeJS.ErrnoException).path ?? ''} is missing); restore it from a backup: the ledger accepts only the identity that created it`,
                { cause: error },
            );
        }
        throw new TrackerError('INTERNAL', `could not read the identity in ${dir}: ${(error as Error).message}`, { cause: error });
    }
    checkIdentity(identity, dir);
    return identity;
}

/**
 * Checks that the PEMs parse, the key matches the certificate, and the CA issued the certificate.
 * Throws INVALID_ARGUMENT naming what is wrong.
 */
export function checkIdentity(identity: LocalIdentity, where = 'the identity'): void {
    try {
        const cert = new X509Certificate(identity.certificatePem);
        const ca = new X509Certificate(identity.caCertificatePem);
        const key = createPrivateKey(identity.privateKeyPem);
        const derivedPublic = createPublicKey(key).export({ format: 'der', type: 'spki' });
        const certPublic = cert.publicKey.export({ format: 'der', type: 'spki' });
        if (!derivedPublic.equals(certPublic)) throw new Error('the private key does not match the certificate');
        if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) throw new Error('the certificate was not issued by the CA certificate');
        if (!identity.mspId) throw new Error('the MSP id is empty');
    } catch (error) {
        throw new TrackerError(
            'INVALID_ARGUMENT',
            `identity in ${where} is not usable: ${(error as Error).message}; restore it from a backup: a ledger accepts only the identity that created it`,
            { cause: error },
        );
    }
}

async function writeAtomic(path: string, text: string, mode: number): Promise<void> {
    const tmp = `${path}.tmp-${process.pid}`;
    const handle = await open(tmp, 'w', mode);
    try {
        await handle.writeFile(text, 'utf8');
        await handle.chmod(mode);
        await handle.sync();
    } finally {
        await handle.close();
    }
    await rename(tmp, path);
}

function ensureTrailingNewline(text: string): string {
    return text.endsWith('\n') ? text : `${text}\n`;
}

function safeUserName(): string {
    try {
        const name = userInfo().username.replace(/[^A-Za-z0-9._@-]/g, '_');
        return NAME_PATTERN.test(name) ? name : 'user';
    } catch {
        return 'user';
    }
}

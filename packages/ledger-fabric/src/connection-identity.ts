/**
 * A user listed in the connection file, as a LocalIdentity. The tracker keeps identities as
 * LocalIdentity and checks with checkIdentity that the CA certificate issued the member
 * certificate, so the issuer is looked for: the user's `caCertificate` file if the connection
 * file names one, else the `cacerts/` folder of the MSP the certificate sits in (cryptogen's and
 * fabric-ca-client's layout: msp/signcerts/cert.pem beside msp/cacerts/*.pem). When neither holds
 * the issuer, caCertificatePem is empty: enough to sign with, not to pass checkIdentity.
 */
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import type { LocalIdentity } from '@hyperprov/ledger';
import { findOrganization, type FabricConnection } from './connection-file.js';

/** Options of {@link loadConnectionUser}. */
export interface ConnectionUserOptions {
    /** Organisation name or MSP id; default the first organisation. */
    org?: string;
    /** User name as listed under the organisation's `users`; default the first user listed. */
    user?: string;
}

async function readPem(path: string, what: string, where: string): Promise<string> {
    try {
        return await readFile(path, 'utf8');
    } catch (error) {
        throw new TrackerError(
            'INVALID_ARGUMENT',
            `${where}: cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); fix the path in the connection file (relative paths are relative to its folder)`,
            { cause: error },
        );
    }
}

/** The PEM of the certificate in `dir` that issued `cert`, if there is one. */
async function issuerIn(dir: string, cert: X509Certificate): Promise<string | undefined> {
    let names: string[];
    try {
        names = await readdir(dir);
    } catch {
        return undefined;
    }
    for (const name of names.filter((n) => n.endsWith('.pem')).sort()) {
        const pem = await readFile(join(dir, name), 'utf8').catch(() => undefined);
        if (pem === undefined) continue;
        try {
            const candidate = new X509Certificate(pem);
            if (cert.checkIssued(candidate) && cert.verify(candidate.publicKey)) return pem;
        } catch {
            // Not a certificate: keep looking.
        }
    }
    return undefined;
}

/** Loads a user of an organisation from the connection file as a LocalIdentity. */
export async function loadConnectionUser(connection: FabricConnection, options: ConnectionUserOptions = {}): Promise<LocalIdentity> {
    const org = findOrganization(connection, options.org);
    const names = Object.keys(org.users);
    const name = options.user ?? names[0];
    const files = name === undefined ? undefined : org.users[name];
    if (name === undefined || files === undefined) {
        const listed = names.length > 0 ? `it lists ${names.join(', ')}` : 'it lists none';
        throw new TrackerError(
            'INVALID_ARGUMENT',
            `${connection.source}: organisation ${org.name} has no user ${name === undefined ? '' : JSON.stringify(name)} (${listed}); add one under organizations[].users, or enrol one with the organisation's CA`,
        );
    }
    const where = `${connection.source}, ${org.name} user ${name}`;
    const [certificatePem, privateKeyPem] = await Promise.all([
        readPem(files.certificate, 'certificate', where),
        readPem(files.privateKey, 'private key', where),
    ]);
    let cert: X509Certificate;
    try {
        cert = new X509Certificate(certificatePem);
        const derived = createPublicKey(createPrivateKey(privateKeyPem)).export({ format: 'der', type: 'spki' });
        if (!derived.equals(cert.publicKey.export({ format: 'der', type: 'spki' }))) throw new Error(`the private key ${files.privateKey} does not belong to the certificate`);
    } catch (error) {
        throw new TrackerError('INVALID_ARGUMENT', `${where} is not usable: ${(error as Error).message}; point certificate and privateKey at the user's PEM files`, { cause: error });
    }
    let caCertificatePem = '';
    if (files.caCertificate !== undefined) {
        caCertificatePem = await readPem(files.caCertificate, 'CA certificate', where);
    } else {
        // <msp>/signcerts/<cert> → <msp>/cacerts/
        caCertificatePem = (await issuerIn(join(dirname(dirname(files.certificate)), 'cacerts'), cert)) ?? '';
    }
    return { mspId: org.mspId, certificatePem, privateKeyPem, caCertificatePem };
}

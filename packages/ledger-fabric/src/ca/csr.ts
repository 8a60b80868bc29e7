/**
 * A new ECDSA P-256 key and a PKCS#10 request for it, as Fabric CA expects at enroll. The CA
 * writes the subject itself (CN = enrollment id, OU = identity type and affiliation), so the
 * request only needs the common name. @peculiar/x509 is loaded lazily: only `enroll` needs it.
 */
import { webcrypto } from 'node:crypto';

export interface KeyAndRequest {
    /** PKCS#8 private key (PEM). */
    privateKeyPem: string;
    /** Certificate signing request (PEM). */
    csrPem: string;
}

export async function newKeyAndRequest(commonName: string): Promise<KeyAndRequest> {
    // @peculiar/x509 depends on tsyringe, which needs the Reflect metadata polyfill loaded first.
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as never);
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=${commonName}`, keys, signingAlgorithm: algorithm });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
    return {
        privateKeyPem: withNewline(x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')),
        csrPem: withNewline(csr.toString('pem')),
    };
}

function withNewline(text: string): string {
    return text.endsWith('\n') ? text : `${text}\n`;
}

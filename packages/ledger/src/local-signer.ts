/**
 * ECDSA P-256 signing with the local identity, and verification against its certificate.
 * Node's crypto is used directly: it is fast (~50 µs per signature) and needs no extra import.
 */
import { createPrivateKey, sign, verify, X509Certificate, type KeyObject } from 'node:crypto';
import type { LocalIdentity } from './local-identity.js';

/** Signs data (SHA-256 then ECDSA, DER signature). */
export interface LocalSigner {
    sign(data: Uint8Array): Buffer;
}

/** Verifies signatures made by one certificate's key. */
export interface SignatureVerifier {
    verify(data: Uint8Array, signature: Uint8Array): boolean;
}

/** A signer with the identity's private key. */
export function createLocalSigner(identity: Pick<LocalIdentity, 'privateKeyPem'>): LocalSigner {
    const key: KeyObject = createPrivateKey(identity.privateKeyPem);
    return { sign: (data) => sign('sha256', data, key) };
}

/** A verifier for signatures by the certificate's key. */
export function createSignatureVerifier(certificatePem: string): SignatureVerifier {
    const key = new X509Certificate(certificatePem).publicKey;
    return {
        verify: (data, signature) => {
            try {
                return verify('sha256', data, key, signature);
            } catch {
                return false;
            }
        },
    };
}

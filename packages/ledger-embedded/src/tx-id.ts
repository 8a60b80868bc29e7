/**
 * Transaction ids, made the way Fabric makes them, for both submitted transactions and the
 * throwaway stubs of evaluate; the nonce pool is module state so every ledger shares it.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { LocalIdentity } from '@hyperprov/ledger';

const NONCE_BYTES = 24;
let noncePool = Buffer.alloc(0);
let nonceAt = 0;

/** Fabric-style transaction id: SHA-256 of a fresh nonce and the creator's certificate. */
export function newTxId(identity: LocalIdentity): string {
    // One CSPRNG call per 256 ids instead of one per id.
    if (nonceAt + NONCE_BYTES > noncePool.length) {
        noncePool = randomBytes(NONCE_BYTES * 256);
        nonceAt = 0;
    }
    const nonce = noncePool.subarray(nonceAt, (nonceAt += NONCE_BYTES));
    return createHash('sha256').update(nonce).update(identity.certificatePem).digest('hex');
}

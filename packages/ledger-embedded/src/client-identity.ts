/**
 * The contract's view of who submits a transaction: `ctx.clientIdentity` with Fabric's semantics.
 *
 * The id is computed exactly like fabric-shim's ClientIdentity (same @fidm/x509 parser, same DN
 * formatting, including its quirk of escaping only the first '/' of a value), so a record written
 * on the embedded ledger names its creator byte for byte as it would on Fabric. fabric-shim itself
 * is not imported: its ClientIdentity lives in a module that loads gRPC and the protobufs (~120 ms
 * on every CLI start); a test checks both give the same id.
 */
import { createRequire } from 'node:module';
import type { LocalIdentity } from '@hyperprov/ledger';

// Loaded on first use (~25 ms): read-only commands never need the caller's id.
const requireLazily = createRequire(import.meta.url);
let fidm: typeof import('@fidm/x509') | undefined;

interface DistinguishedName {
    attributes: { shortName: string; value: string }[];
}

function formatDN(dn: DistinguishedName): string {
    return dn.attributes
        .map((attribute) => `/${attribute.shortName}=${attribute.value.replace('/', '\\/')}`)
        .join('');
}

/** Fabric client identity id of a certificate: `x509::<subject DN>::<issuer DN>`. */
export function fabricClientId(certificatePem: string): string {
    fidm ??= requireLazily('@fidm/x509') as typeof import('@fidm/x509');
    const certificate = fidm.Certificate.fromPEM(Buffer.from(certificatePem)) as unknown as {
        subject: DistinguishedName;
        issuer: DistinguishedName;
    };
    return `x509::${formatDN(certificate.subject)}::${formatDN(certificate.issuer)}`;
}

/** The subset of fabric-shim's ClientIdentity the contract may use, for one fixed identity. */
export class LocalClientIdentity {
    readonly #mspId: string;
    readonly #certificatePem: string;
    #id: string | undefined;
    readonly #idBytes: Uint8Array;

    constructor(identity: Pick<LocalIdentity, 'mspId' | 'certificatePem'>) {
        this.#mspId = identity.mspId;
        this.#certificatePem = identity.certificatePem;
        this.#idBytes = Buffer.from(identity.certificatePem);
    }

    /** `x509::<subject DN>::<issuer DN>`, as Fabric computes it (computed once, on first use). */
    getID(): string {
        this.#id ??= fabricClientId(this.#certificatePem);
        return this.#id;
    }

    getMSPID(): string {
        return this.#mspId;
    }

    /** The PEM certificate bytes, as Fabric's SerializedIdentity carries them. */
    getIDBytes(): Uint8Array {
        return this.#idBytes;
    }

    /** Local certificates carry no Fabric CA attributes. */
    getAttributeValue(_name: string): string | null {
        return null;
    }

    assertAttributeValue(_name: string, _value: string): boolean {
        return false;
    }
}

/**
 * The token a Fabric CA registrar sends with privileged requests (register, revoke, …): the
 * registrar's certificate and an ECDSA signature over the method, path, body and certificate, as
 * fabric-ca's `util.GenECDSAToken` makes it. The server verifies with Fabric's BCCSP, which
 * rejects signatures whose S is in the upper half of the curve order, so S is normalised here.
 */
import { createPrivateKey, sign } from 'node:crypto';

/** Order of the P-256 group; BCCSP accepts only S ≤ n/2 ("low S"). */
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const COORDINATE_BYTES = 32;

/** `Authorization` header value for a request signed by `certificatePem` / `privateKeyPem`. */
export function caAuthToken(request: { method: string; path: string; body: string }, certificatePem: string, privateKeyPem: string): string {
    const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
    const b64cert = b64(certificatePem);
    const payload = `${request.method}.${b64(request.path)}.${b64(request.body)}.${b64cert}`;
    const raw = sign('sha256', Buffer.from(payload, 'utf8'), { key: createPrivateKey(privateKeyPem), dsaEncoding: 'ieee-p1363' });
    return `${b64cert}.${lowSDer(raw).toString('base64')}`;
}

/** Converts an IEEE P1363 (r‖s) P-256 signature into DER with S normalised to the lower half. */
export function lowSDer(p1363: Buffer): Buffer {
    if (p1363.length !== 2 * COORDINATE_BYTES) throw new Error(`expected a ${2 * COORDINATE_BYTES}-byte P-256 signature, got ${p1363.length} bytes`);
    const r = BigInt(`0x${p1363.subarray(0, COORDINATE_BYTES).toString('hex')}`);
    let s = BigInt(`0x${p1363.subarray(COORDINATE_BYTES).toString('hex')}`);
    if (s > P256_ORDER / 2n) s = P256_ORDER - s;
    const body = Buffer.concat([derInteger(r), derInteger(s)]);
    return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}

function derInteger(value: bigint): Buffer {
    let hex = value.toString(16);
    if (hex.length % 2) hex = `0${hex}`;
    let bytes = Buffer.from(hex, 'hex');
    // A leading 1 bit would make the INTEGER negative: prefix a zero byte.
    if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return Buffer.concat([Buffer.from([0x02]), derLength(bytes.length), bytes]);
}

function derLength(length: number): Buffer {
    return length < 0x80 ? Buffer.from([length]) : Buffer.from([0x81, length]);
}

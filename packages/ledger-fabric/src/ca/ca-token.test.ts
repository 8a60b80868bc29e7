import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { caAuthToken, lowSDer } from './ca-token.js';

const HALF_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n / 2n;

function sOf(der: Buffer): bigint {
    // SEQUENCE { INTEGER r, INTEGER s }: skip the header and r.
    const rLength = der[3]!;
    const sStart = 4 + rLength;
    const sLength = der[sStart + 1]!;
    return BigInt(`0x${der.subarray(sStart + 2, sStart + 2 + sLength).toString('hex')}`);
}

describe('caAuthToken', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const keyPem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    const certPem = '-----BEGIN CERTIFICATE-----\nnot parsed by the signer\n-----END CERTIFICATE-----\n';

    it('signs method.b64(path).b64(body).b64(cert) with a low-S DER signature that verifies', () => {
        for (let i = 0; i < 40; i++) {
            const body = JSON.stringify({ id: `user${i}` });
            const token = caAuthToken({ method: 'POST', path: '/api/v1/register', body }, certPem, keyPem);
            const [b64cert, b64sig] = token.split('.');
            expect(Buffer.from(b64cert!, 'base64').toString()).toBe(certPem);
            const b64 = (t: string) => Buffer.from(t).toString('base64');
            const payload = `POST.${b64('/api/v1/register')}.${b64(body)}.${b64cert}`;
            const signature = Buffer.from(b64sig!, 'base64');
            expect(verify('sha256', Buffer.from(payload), publicKey, signature)).toBe(true);
            expect(sOf(signature) <= HALF_ORDER).toBe(true);
        }
    });

    it('flips a high S into the lower half and keeps a low S', () => {
        const r = Buffer.alloc(32, 0x11);
        const high = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632500', 'hex');
        const flipped = sOf(lowSDer(Buffer.concat([r, high])));
        expect(flipped).toBe(0x51n);
        const low = Buffer.alloc(32, 0);
        low[31] = 7;
        expect(sOf(lowSDer(Buffer.concat([r, low])))).toBe(7n);
    });

    it('refuses a signature of the wrong size', () => {
        expect(() => lowSDer(Buffer.alloc(63))).toThrow(/64-byte/);
    });
});

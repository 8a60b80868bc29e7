import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ccaasPackage, packageIdOf, tar } from './chaincode-package.js';

describe('CCaaS chaincode package', () => {
    it('is the same bytes, so the same package id, every time', () => {
        const a = ccaasPackage('hyperprov', '127.0.0.1:7070');
        const b = ccaasPackage('hyperprov', '127.0.0.1:7070');
        expect(b.bytes.equals(a.bytes)).toBe(true);
        expect(b.packageId).toBe(a.packageId);
        expect(a.packageId).toMatch(/^hyperprov:[0-9a-f]{64}$/);
        expect(packageIdOf('hyperprov', a.bytes)).toBe(a.packageId);
    });

    it('changes id with the address the peers dial', () => {
        expect(ccaasPackage('hyperprov', '127.0.0.1:7071').packageId).not.toBe(ccaasPackage('hyperprov', '127.0.0.1:7070').packageId);
    });

    it('holds exactly two regular files, metadata.json and code.tar.gz (what the peer accepts)', async () => {
        const dir = await mkdtemp(join(tmpdir(), 'hyperprov-ccpkg-'));
        try {
            const { bytes } = ccaasPackage('hyperprov', '127.0.0.1:7070');
            await writeFile(join(dir, 'pkg.tgz'), bytes);
            const listing = execFileSync('tar', ['-tvzf', join(dir, 'pkg.tgz')], { encoding: 'utf8' }).trim().split('\n');
            expect(listing.map((line) => line.split(/\s+/).at(-1))).toEqual(['metadata.json', 'code.tar.gz']);
            expect(listing.every((line) => line.startsWith('-rw-r--r--'))).toBe(true);
            execFileSync('tar', ['-xzf', join(dir, 'pkg.tgz'), '-C', dir]);
            expect(JSON.parse(execFileSync('cat', [join(dir, 'metadata.json')], { encoding: 'utf8' }))).toEqual({ type: 'ccaas', label: 'hyperprov' });
            const inner = execFileSync('tar', ['-xzOf', join(dir, 'code.tar.gz'), 'connection.json'], { encoding: 'utf8' });
            expect(JSON.parse(inner)).toEqual({ address: '127.0.0.1:7070', dial_timeout: '10s', tls_required: false });
        } finally {
            await rm(dir, { recursive: true, force: true });
        }
    });

    it('writes gzip with no timestamp and tar with fixed owner and mtime', () => {
        const { bytes } = ccaasPackage('hyperprov', '127.0.0.1:7070');
        expect(bytes.readUInt32LE(4)).toBe(0); // gzip MTIME
        const archive = gunzipSync(bytes);
        expect(archive.subarray(136, 147).toString('ascii')).toBe('00000000000');
        expect(tar([['a', Buffer.from('x')]]).length).toBe(512 * 2 + 1024);
    });

    it('rejects a label the peer would refuse', () => {
        expect(() => ccaasPackage('-bad', '127.0.0.1:1')).toThrow(/invalid chaincode label/);
    });
});

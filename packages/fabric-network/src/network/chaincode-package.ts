/**
 * The CCaaS chaincode package, built byte for byte the same every time: the peer's package id is
 * `<label>:<sha256 of the .tgz>`, and the chaincode server must be started with that id before
 * the peers install it. So no tar program: a minimal ustar writer with fixed mode, owner and mtime,
 * and gzip without a name or timestamp. The outer archive holds exactly the two regular files the
 * peer accepts, metadata.json and code.tar.gz; code.tar.gz holds connection.json, which tells the
 * peer where the chaincode server listens.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface ChaincodePackage {
    bytes: Buffer;
    packageId: string;
}

export function ccaasPackage(label: string, chaincodeAddress: string): ChaincodePackage {
    if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]*$/.test(label)) throw new Error(`invalid chaincode label ${JSON.stringify(label)}`);
    const connection = JSON.stringify({ address: chaincodeAddress, dial_timeout: '10s', tls_required: false });
    const code = gzip(tar([['connection.json', Buffer.from(connection)]]));
    const metadata = JSON.stringify({ type: 'ccaas', label });
    const bytes = gzip(
        tar([
            ['metadata.json', Buffer.from(metadata)],
            ['code.tar.gz', code],
        ]),
    );
    return { bytes, packageId: packageIdOf(label, bytes) };
}

export function packageIdOf(label: string, bytes: Buffer): string {
    return `${label}:${createHash('sha256').update(bytes).digest('hex')}`;
}

function gzip(data: Buffer): Buffer {
    // Node writes a gzip header with mtime 0 and no file name: the output depends on the input only.
    return gzipSync(data, { level: 9 });
}

/** A ustar archive of regular files (mode 0644, uid/gid 0, mtime 0). */
export function tar(files: ReadonlyArray<readonly [string, Buffer]>): Buffer {
    const blocks: Buffer[] = [];
    for (const [name, content] of files) {
        if (Buffer.byteLength(name) > 100) throw new Error(`tar entry name too long: ${name}`);
        const header = Buffer.alloc(512);
        header.write(name, 0, 100, 'utf8');
        header.write('0000644\0', 100, 8, 'ascii');
        header.write('0000000\0', 108, 8, 'ascii');
        header.write('0000000\0', 116, 8, 'ascii');
        header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124, 12, 'ascii');
        header.write('00000000000\0', 136, 12, 'ascii');
        header.write('        ', 148, 8, 'ascii'); // checksum field counts as spaces while summing
        header.write('0', 156, 1, 'ascii'); // regular file
        header.write('ustar\0', 257, 6, 'ascii');
        header.write('00', 263, 2, 'ascii');
        let sum = 0;
        for (const byte of header) sum += byte;
        header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
        blocks.push(header, content, Buffer.alloc((512 - (content.length % 512)) % 512));
    }
    blocks.push(Buffer.alloc(1024));
    return Buffer.concat(blocks);
}

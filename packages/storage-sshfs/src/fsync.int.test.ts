/**
 * Durability must reach the server: sshfs has to send fsync@openssh.com for the temp file before
 * the object is linked into place. Checked in the request log of a real sftp-server.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mountSshfs, unmountSshfs } from './mount.js';
import { createSshfsStore } from './sshfs-store.js';
import { startSshServer, type SshServer } from './testing/ssh-server.js';

describe('durability on the server', () => {
    let server: SshServer;
    let mountpoint: string;
    beforeAll(async () => {
        server = await startSshServer({ traceSftp: true });
        mountpoint = path.join(server.dir, 'mnt');
        await mountSshfs(server.mountOptions(mountpoint));
    });
    afterAll(async () => {
        await unmountSshfs(mountpoint).catch(() => {});
        await server?.dispose();
    });

    it('fsyncs the temp file on the server before linking it to its content address', async () => {
        const store = await createSshfsStore({ mountpoint });
        const result = await store.put(Readable.from([Buffer.alloc(3 << 20, 7)]));
        await store.close();

        const log = (await readFile(server.sftpLog, 'utf8')).split('\n');
        const target = path.join(server.remoteDir, result.pointer);
        const linkLine = log.findIndex((line) => line.includes('hardlink') && line.includes(`"${target}"`));
        expect(linkLine, 'hardlink of the object not in the sftp log').toBeGreaterThan(0);
        const tempFile = /hardlink old "([^"]+)"/.exec(log[linkLine]!)?.[1];
        expect(tempFile).toContain(`${path.join(server.remoteDir, '.tmp')}/`);
        const fsyncLine = log.findIndex((line) => /^fsync "/.test(line) && line.includes(`"${tempFile}"`));
        expect(fsyncLine, `fsync of ${tempFile} not in the sftp log`).toBeGreaterThan(0);
        expect(fsyncLine).toBeLessThan(linkLine);
    });
});

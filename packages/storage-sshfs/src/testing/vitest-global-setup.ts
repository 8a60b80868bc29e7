/**
 * vitest globalSetup: one private sshd and one sshfs mount of it for the whole test run.
 * Idempotent on any Debian 12 machine as root: installs openssh-server + sshfs if missing, cleans
 * up servers of earlier runs that crashed, and always unmounts and stops what it started.
 * Tests that break their server on purpose (kill, stop) start a private one with startSshServer.
 */
import path from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { mountSshfs } from '../mount.js';
import { startSshServer, cleanStaleSshServers } from './ssh-server.js';
import { ensureSshTools } from './ssh-tools.js';

/** What the global setup hands to the tests (vitest `inject('sshfs')`). */
export interface ProvidedSshfs {
    /** The live sshfs mountpoint; tests use fresh subdirectories of it. */
    mountpoint: string;
    /** The server-side directory that is mounted (to look behind the mount's back). */
    remoteDir: string;
    remote: string;
    port: number;
    identityFile: string;
}

declare module 'vitest' {
    export interface ProvidedContext {
        sshfs: ProvidedSshfs;
    }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
    await ensureSshTools((line) => console.log(`[sshfs setup] ${line}`));
    const cleaned = await cleanStaleSshServers();
    if (cleaned.length > 0) console.log(`[sshfs setup] removed ${cleaned.length} server(s) left by crashed runs`);
    const server = await startSshServer();
    try {
        const mountpoint = path.join(server.dir, 'mnt');
        await mountSshfs(server.mountOptions(mountpoint));
        project.provide('sshfs', {
            mountpoint,
            remoteDir: server.remoteDir,
            remote: server.remote,
            port: server.port,
            identityFile: server.identityFile,
        });
    } catch (error) {
        await server.dispose();
        throw error;
    }
    return () => server.dispose();
}

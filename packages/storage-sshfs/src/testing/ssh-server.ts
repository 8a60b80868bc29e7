/**
 * A private OpenSSH server on a free 127.0.0.1 port, for tests and benchmarks: its own temp dir,
 * throwaway host and client keys, its own config (the system sshd config and ~/.ssh are never
 * touched), and an empty remote directory to mount. Only root can log in as itself this way, which
 * is how CI and the dev machines run.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SFTP_SERVER, SSHD } from './ssh-tools.js';
import { isAlive, processTree, signalAll, waitForExit } from './processes.js';
import { readMounts } from '../mountinfo.js';
import { unmountSshfs, type MountSshfsOptions } from '../mount.js';

/** Prefix of every test server's temp dir, so leftovers of crashed runs can be found. */
export const SERVER_DIR_PREFIX = 'hyperprov-sshd-';

export interface StartSshServerOptions {
    /**
     * Serve SFTP with Debian's standalone sftp-server logging every request to {@link SshServer.sftpLog}
     * (to check e.g. that fsync really reaches the server), instead of sshd's internal-sftp.
     */
    traceSftp?: boolean;
    /** Parent of the server's temp dir; default the OS temp dir. */
    parentDir?: string;
}

export interface SshServer {
    readonly host: '127.0.0.1';
    readonly port: number;
    readonly user: string;
    /** The server's temp dir (keys, config, logs, remote dir). */
    readonly dir: string;
    /** Directory served to clients, empty at start. */
    readonly remoteDir: string;
    /** `user@127.0.0.1:<remoteDir>`, ready for sshfs. */
    readonly remote: string;
    /** Client private key that the server accepts. */
    readonly identityFile: string;
    /** sshd's own log. */
    readonly log: string;
    /** Request log of the SFTP server when started with `traceSftp`. */
    readonly sftpLog: string;
    /** Options for {@link mountSshfs} that reach this server without touching ~/.ssh. */
    mountOptions(mountpoint: string): MountSshfsOptions;
    /** Pids of the listening sshd and every session process it forked. */
    pids(): number[];
    /** Sends `signal` to the listener and all session processes (e.g. SIGKILL to make mounts stale). */
    signal(signal: NodeJS.Signals): void;
    /** Starts the listener again on the same port after a kill. */
    restart(): Promise<void>;
    /** Stops every server process. Idempotent. Does not remove the dir. */
    stop(): Promise<void>;
    /** Unmounts any mount below `dir`, stops the server and removes `dir`. Idempotent. */
    dispose(): Promise<void>;
}

function run(command: string, args: string[]): Promise<void> {
    return new Promise((resolve, reject) =>
        execFile(command, args, { timeout: 30_000 }, (error, _out, stderr) =>
            error ? reject(new Error(`${command} failed: ${stderr || error.message}`)) : resolve(),
        ),
    );
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
        });
    });
}

/** Resolves once something on the port answers with an SSH banner. */
async function waitForBanner(port: number, child: ChildProcess, log: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`sshd exited (${child.exitCode ?? child.signalCode}): ${await readFile(log, 'utf8').catch(() => '')}`);
        }
        const banner = await new Promise<string>((resolve) => {
            const socket = connect(port, '127.0.0.1');
            let data = '';
            socket.setTimeout(1_000, () => socket.destroy());
            socket.on('data', (chunk) => {
                data += chunk.toString('latin1');
                if (data.includes('\n')) socket.destroy();
            });
            socket.on('error', () => resolve(''));
            socket.on('close', () => resolve(data));
        });
        if (banner.startsWith('SSH-2.0-')) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`sshd did not answer on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** Starts a private sshd (see the module doc). Call {@link SshServer.dispose} when done. */
export async function startSshServer(options: StartSshServerOptions = {}): Promise<SshServer> {
    const dir = await mkdtemp(path.join(options.parentDir ?? os.tmpdir(), SERVER_DIR_PREFIX));
    await writeFile(path.join(dir, 'owner.pid'), String(process.pid));
    const remoteDir = path.join(dir, 'remote');
    await mkdir(remoteDir);
    const hostKey = path.join(dir, 'host_ed25519');
    const identityFile = path.join(dir, 'client_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hyperprov-test-host', '-f', hostKey]);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'hyperprov-test-client', '-f', identityFile]);
    await writeFile(path.join(dir, 'authorized_keys'), await readFile(`${identityFile}.pub`));
    // sshd insists on its privilege separation dir, which the init script normally creates.
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 }).catch(() => {});

    const user = os.userInfo().username;
    const log = path.join(dir, 'sshd.log');
    const sftpLog = path.join(dir, 'sftp.log');
    const subsystem = options.traceSftp
        ? `${SFTP_SERVER} -e -l DEBUG3 2>>${sftpLog}`
        : 'internal-sftp';
    const configFile = path.join(dir, 'sshd_config');
    let port = 0;
    let child: ChildProcess | undefined;

    const launch = async (): Promise<void> => {
        const config = [
            'ListenAddress 127.0.0.1',
            `Port ${port}`,
            `HostKey ${hostKey}`,
            `AuthorizedKeysFile ${path.join(dir, 'authorized_keys')}`,
            `PidFile ${path.join(dir, 'sshd.pid')}`,
            // The temp dir's modes are not what StrictModes expects of a home dir.
            'StrictModes no',
            'UsePAM no',
            'PasswordAuthentication no',
            'KbdInteractiveAuthentication no',
            'PubkeyAuthentication yes',
            'PermitRootLogin prohibit-password',
            'AllowTcpForwarding no',
            'X11Forwarding no',
            'PrintMotd no',
            'LogLevel INFO',
            `Subsystem sftp ${subsystem}`,
            '',
        ].join('\n');
        await writeFile(configFile, config);
        const started = spawn(SSHD, ['-D', '-f', configFile, '-E', log], { stdio: 'ignore' });
        started.on('error', () => {});
        child = started;
        await waitForBanner(port, started, log, 10_000);
    };

    // A port found free can be taken before sshd binds it; try a few.
    for (let attempt = 1; ; attempt++) {
        port = await freePort();
        try {
            await launch();
            break;
        } catch (error) {
            if (child) signalAll(processTree(child.pid ?? -1), 'SIGKILL');
            if (attempt >= 3) throw error;
        }
    }

    const server: SshServer = {
        host: '127.0.0.1',
        port,
        user,
        dir,
        remoteDir,
        remote: `${user}@127.0.0.1:${remoteDir}`,
        identityFile,
        log,
        sftpLog,
        mountOptions: (mountpoint) => ({
            remote: `${user}@127.0.0.1:${remoteDir}`,
            mountpoint,
            port,
            identityFile,
            options: { StrictHostKeyChecking: 'no', UserKnownHostsFile: '/dev/null', LogLevel: 'ERROR' },
        }),
        pids: () => (child?.pid === undefined ? [] : processTree(child.pid)),
        signal: (signal) => signalAll(server.pids(), signal),
        restart: async () => {
            if (child?.pid !== undefined && isAlive(child.pid)) throw new Error('sshd is still running');
            await launch();
        },
        stop: async () => {
            const pids = server.pids();
            signalAll(pids, 'SIGCONT');
            signalAll(pids, 'SIGTERM');
            if (!(await waitForExit(pids, 3_000))) {
                signalAll(pids, 'SIGKILL');
                await waitForExit(pids, 3_000);
            }
        },
        dispose: async () => {
            for (const entry of (await readMounts()).reverse()) {
                if (entry.mountpoint.startsWith(`${dir}/`)) await unmountSshfs(entry.mountpoint).catch(() => {});
            }
            await server.stop();
            await rm(dir, { recursive: true, force: true });
        },
    };
    return server;
}

/**
 * Cleans up after test runs that crashed before their teardown: for every server dir in the temp dir
 * whose owner process is gone, unmounts what is mounted below it, kills its sshd (only if that pid
 * still runs this server's config) and removes the dir. Dirs of live owners are left alone, so
 * concurrent test runs do not disturb each other.
 */
export async function cleanStaleSshServers(parentDir = os.tmpdir()): Promise<string[]> {
    const cleaned: string[] = [];
    const names = await readdir(parentDir).catch(() => [] as string[]);
    for (const name of names) {
        if (!name.startsWith(SERVER_DIR_PREFIX)) continue;
        const dir = path.join(parentDir, name);
        const owner = Number(await readFile(path.join(dir, 'owner.pid'), 'utf8').catch(() => 'NaN'));
        if (Number.isInteger(owner) && isAlive(owner)) continue;
        for (const entry of (await readMounts()).reverse()) {
            if (entry.mountpoint.startsWith(`${dir}/`)) await unmountSshfs(entry.mountpoint).catch(() => {});
        }
        const pid = Number(await readFile(path.join(dir, 'sshd.pid'), 'utf8').catch(() => 'NaN'));
        if (Number.isInteger(pid) && isAlive(pid)) {
            const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
            if (cmdline.includes(path.join(dir, 'sshd_config'))) signalAll(processTree(pid), 'SIGKILL');
        }
        await rm(dir, { recursive: true, force: true }).catch(() => {});
        cleaned.push(dir);
    }
    return cleaned;
}

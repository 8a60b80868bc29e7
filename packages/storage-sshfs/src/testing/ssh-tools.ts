/**
 * Makes sure the real components the SSHFS tests and benchmarks need are on the machine: Debian's
 * openssh-server (sshd, sftp-server) and sshfs (with fuse3's fusermount). Installs them with apt-get
 * when missing; a no-op when present, so it is cheap to call from every test run.
 */
import { execFile } from 'node:child_process';
import { access, constants } from 'node:fs/promises';

/** Absolute path of Debian's sshd; sshd refuses to re-exec from a relative path. */
export const SSHD = '/usr/sbin/sshd';
/** Debian's standalone SFTP server, used when a test needs a request log. */
export const SFTP_SERVER = '/usr/lib/openssh/sftp-server';

async function exists(file: string): Promise<boolean> {
    try {
        await access(file, constants.X_OK);
        return true;
    } catch {
        return false;
    }
}

async function onPath(command: string): Promise<boolean> {
    for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(':')) {
        if (dir && (await exists(`${dir}/${command}`))) return true;
    }
    return false;
}

function run(command: string, args: string[], timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
        execFile(
            command,
            args,
            { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
            (error, stdout, stderr) => (error ? reject(new Error(`${command} ${args.join(' ')} failed: ${stderr || error.message}`)) : resolve(stdout)),
        );
    });
}

/** Which of the needed tools are missing. */
export async function missingSshTools(): Promise<string[]> {
    const missing: string[] = [];
    if (!(await exists(SSHD))) missing.push(SSHD);
    if (!(await exists(SFTP_SERVER))) missing.push(SFTP_SERVER);
    if (!(await exists('/usr/bin/ssh-keygen'))) missing.push('ssh-keygen');
    for (const command of ['sshfs', 'fusermount']) if (!(await onPath(command))) missing.push(command);
    return missing;
}

/**
 * Installs openssh-server and sshfs with apt-get if any tool is missing (needs root, as on CI and
 * the dev machines). Waits for a dpkg lock held by another installer instead of failing.
 */
export async function ensureSshTools(log: (line: string) => void = () => {}): Promise<void> {
    const missing = await missingSshTools();
    if (missing.length === 0) return;
    if (process.getuid?.() !== 0) {
        throw new Error(`Missing ${missing.join(', ')}; install them with: sudo apt-get install -y openssh-server sshfs`);
    }
    log(`installing openssh-server and sshfs (missing: ${missing.join(', ')})`);
    const lockWait = ['-o', 'DPkg::Lock::Timeout=600'];
    await run('apt-get', ['update', '-qq', ...lockWait], 600_000);
    await run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...lockWait, 'openssh-server', 'openssh-sftp-server', 'sshfs'], 600_000);
    const still = await missingSshTools();
    if (still.length > 0) throw new Error(`apt-get install finished but ${still.join(', ')} still missing`);
}

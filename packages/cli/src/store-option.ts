/**
 * `--store <url>` and `--sshfs-remote user@host:/path`, shared by `init` and `record`. A remote is
 * carried inside the sshfs URL (`sshfs:///mnt/x?remote=…`), so the store can mount it when needed
 * and every later command finds the same mount.
 */
import { formatStoreUrl } from '@hyperprov/storage';
import { TrackerError } from '@hyperprov/errors';
import { parseStoreLocation } from '@hyperprov/tracker';

/**
 * Returns the full store URL the options name, or undefined when neither was given. Bare paths
 * are resolved against `cwd`; a project-relative `file:<path>` is passed on for the tracker,
 * which knows the project directory.
 */
export function storeUrlFromOptions(store: string | undefined, sshfsRemote: string | undefined, cwd: string): string | undefined {
    if (sshfsRemote === undefined && store !== undefined && /^file:(?!\/)/i.test(store)) return store;
    if (sshfsRemote === undefined) return store === undefined ? undefined : formatStoreUrl(parseStoreLocation(store, cwd));
    if (store === undefined) {
        throw new TrackerError(
            'INVALID_ARGUMENT',
            '--sshfs-remote needs --store sshfs:///<mountpoint>: the local directory to mount the remote on',
        );
    }
    const parsed = parseStoreLocation(store, cwd);
    if (parsed.kind !== 'sshfs') {
        throw new TrackerError('INVALID_ARGUMENT', `--sshfs-remote only applies to sshfs:// stores, not ${store}`);
    }
    if (!/^[^\s:/]+:\S*$/.test(sshfsRemote)) {
        throw new TrackerError('INVALID_ARGUMENT', `--sshfs-remote ${JSON.stringify(sshfsRemote)} is not of the form user@host:/path`);
    }
    return formatStoreUrl({ ...parsed, remote: sshfsRemote });
}

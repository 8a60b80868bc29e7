export { createSshfsStore, sshfsLocation, type SshfsStore, type SshfsStoreOptions } from './sshfs-store.js';
export {
    mountSshfs,
    unmountSshfs,
    BASE_SSHFS_OPTIONS,
    FAST_SSHFS_OPTIONS,
    type MountSshfsOptions,
    type UnmountSshfsOptions,
} from './mount.js';
export {
    checkMount,
    assertMounted,
    SSHFS_FSTYPE,
    DEFAULT_PROBE_TIMEOUT_MS,
    type MountStatus,
    type CheckMountOptions,
} from './check-mount.js';
export { parseMountinfo, readMounts, findEnclosingMount, type MountEntry } from './mountinfo.js';

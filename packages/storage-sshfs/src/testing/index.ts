/**
 * Test and benchmark support: a private sshd on loopback and the tools it needs. Exported as
 * `@hyperprov/storage-sshfs/testing` so other packages' integration tests and bench/ can mount a
 * real SSHFS store the same way this package's tests do.
 */
export { ensureSshTools, missingSshTools, SSHD, SFTP_SERVER } from './ssh-tools.js';
export {
    startSshServer,
    cleanStaleSshServers,
    SERVER_DIR_PREFIX,
    type SshServer,
    type StartSshServerOptions,
} from './ssh-server.js';
export { processTree, sshfsPidsFor, signalAll, waitForExit, isAlive, cpuSecondsOf } from './processes.js';

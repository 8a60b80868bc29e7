/**
 * Exit codes of the `hyperprov` CLI: one distinct code per TrackerError code, so scripts can
 * tell "fix your input" from "the ledger is corrupt" without parsing messages. Documented in
 * the package README; keep both in step (a test checks they are distinct and complete).
 */
import type { TrackerErrorCode } from './tracker-error.js';

/** Exit code per error code. 0 is success; 1 is never used, so it cannot be confused with a crash of node itself. */
export const EXIT_CODES: Readonly<Record<TrackerErrorCode, number>> = {
    INVALID_ARGUMENT: 2,
    NOT_FOUND: 3,
    DEPENDENCY_NOT_FOUND: 4,
    CHECKSUM_MISMATCH: 5,
    LEDGER_CORRUPT: 6,
    LEDGER_UNAVAILABLE: 7,
    STORE_UNAVAILABLE: 8,
    NOT_INITIALIZED: 9,
    ALREADY_EXISTS: 10,
    FILE_CHANGED: 11,
    CONFLICT: 12,
    TIMEOUT: 13,
    ABORTED: 14,
    PERMISSION_DENIED: 15,
    // 70 and 74 are sysexits' EX_SOFTWARE and EX_IOERR.
    IO_ERROR: 74,
    INTERNAL: 70,
};

/** What to do next, per error code: printed under the error's own message. */
export const ERROR_HINTS: Readonly<Record<TrackerErrorCode, string>> = {
    INVALID_ARGUMENT: 'fix the argument and run the command again; `hyperprov <command> --help` lists the options',
    NOT_FOUND: 'check the key or id: `hyperprov range "" ""` lists keys, `hyperprov history <key>` lists record ids',
    DEPENDENCY_NOT_FOUND: 'record the dependency first, or check its id with `hyperprov show <id>`',
    CHECKSUM_MISMATCH: 'the bytes differ from what was recorded: restore them from a good copy, or record the new bytes as a new version',
    LEDGER_CORRUPT: 'the ledger failed verification: restore .hyperprov/ledger from a backup and do not record more until it verifies',
    LEDGER_UNAVAILABLE: 'another hyperprov process may be using the ledger, or the network is down; retry when it is free',
    STORE_UNAVAILABLE: 'check the object store (mounted? reachable? credentials?); `hyperprov status` shows the configured store',
    NOT_INITIALIZED: 'run `hyperprov init` in the project directory, or pass --dir <project>; if the message names a damaged .hyperprov/, follow it instead (init refuses while .hyperprov/ exists)',
    ALREADY_EXISTS: 'choose another name or path, or pass --force where the command offers it',
    FILE_CHANGED: 'the file changed while it was read: wait until it is completely written, then record it again',
    CONFLICT: 'a concurrent write conflicted; run the command again',
    TIMEOUT: 'the operation did not finish in time; check the ledger and store, then retry (`hyperprov get <key>` shows what was recorded)',
    ABORTED: 'the operation was interrupted; nothing was recorded unless it was reported',
    PERMISSION_DENIED: 'the identity was refused: check which one the project uses (`hyperprov status`), enroll one the network accepts (`hyperprov enroll`), or ask the CA admin for the rights',
    IO_ERROR: 'free disk space or fix the device (or write the output elsewhere), then run the command again; what the command recorded before the failure stays recorded (`hyperprov status` shows the ledger height)',
    INTERNAL: 'this is a bug: rerun with HYPERPROV_DEBUG=1 and report the output',
};

/**
 * HTTP status per error code, for the project server and its clients. 4xx: the request can be
 * fixed by the caller; 409/412: state on the ledger or disk disagrees; 5xx: a backend failed.
 */
export const HTTP_STATUSES: Readonly<Record<TrackerErrorCode, number>> = {
    INVALID_ARGUMENT: 400,
    NOT_FOUND: 404,
    DEPENDENCY_NOT_FOUND: 422,
    CHECKSUM_MISMATCH: 409,
    LEDGER_CORRUPT: 500,
    LEDGER_UNAVAILABLE: 503,
    STORE_UNAVAILABLE: 503,
    NOT_INITIALIZED: 412,
    ALREADY_EXISTS: 409,
    FILE_CHANGED: 409,
    CONFLICT: 409,
    TIMEOUT: 504,
    ABORTED: 499,
    PERMISSION_DENIED: 403,
    // The server's own disk or device failed: not something the caller can fix.
    IO_ERROR: 500,
    INTERNAL: 500,
};

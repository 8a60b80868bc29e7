/**
 * `.hyperprov/config.json`: which ledger, which object store, which identity a project uses.
 * Relative paths in the file are relative to the `.hyperprov/` folder, so a project can be moved.
 * The store is a URL, because records carry it as their `location`; a local store inside the
 * project is the relative URL `file:<path>`, relative to the project directory (see
 * stores/project-store.ts).
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import { CONFIG_FILENAME } from './project-dir.js';

/** Version of the config file format; bumped on incompatible changes. */
export const CONFIG_VERSION = 1 as const;

/** The embedded single-machine ledger (default). */
export interface EmbeddedLedgerConfig {
    backend: 'embedded';
    /** Ledger directory, relative to `.hyperprov/`. */
    dir: string;
    /** `fsync`: every commit is durable before it is reported (default); `none`: for throwaway runs. */
    durability: 'fsync' | 'none';
}

/** A Hyperledger Fabric network reached through the Gateway. */
export interface FabricLedgerConfig {
    backend: 'fabric';
    /**
     * Connection file (peers, orderers, TLS roots, channel, chaincode, CAs), relative to
     * `.hyperprov/`; `init --ledger fabric` copies it into the project.
     */
    connection: string;
    /** Organisation (name or MSP id in the connection file) whose peer is the gateway; default the identity's MSP. */
    org?: string;
}

export type LedgerConfig = EmbeddedLedgerConfig | FabricLedgerConfig;

/** Contents of `.hyperprov/config.json`. */
export interface TrackerConfig {
    version: typeof CONFIG_VERSION;
    ledger: LedgerConfig;
    /** Store URL new bytes go to: `file:.hyperprov/objects` (relative to the project), `file:///…`, `s3://bucket/prefix`, `sshfs:///mnt/store`. */
    store: string;
    identity: {
        /** Directory with the local signing identity (PEM files), relative to `.hyperprov/`. */
        dir: string;
    };
    /** Hash cache directory, relative to `.hyperprov/`. */
    cache: string;
}

/** The config `hyperprov init` writes, given the store URL. */
export function defaultConfig(store: string): TrackerConfig {
    return {
        version: CONFIG_VERSION,
        ledger: { backend: 'embedded', dir: 'ledger', durability: 'fsync' },
        store,
        identity: { dir: 'identity' },
        cache: 'cache',
    };
}

/** Reads and validates `<hyperprovDir>/config.json`. */
export async function readConfig(hyperprovDir: string): Promise<TrackerConfig> {
    const file = path.join(hyperprovDir, CONFIG_FILENAME);
    let text: string;
    try {
        text = await readFile(file, 'utf8');
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
            throw new TrackerError('NOT_INITIALIZED', `${file} is missing; ${repairHint(hyperprovDir)}`, { cause: error });
        }
        throw new TrackerError('INTERNAL', `cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (error) {
        throw new TrackerError('INVALID_ARGUMENT', `${file} is not valid JSON (${(error as Error).message}); fix it, or ${repairHint(hyperprovDir)}`, {
            cause: error,
        });
    }
    return parseConfig(json, file);
}

/**
 * What to do about a missing or broken config. `hyperprov init` refuses while `.hyperprov/` exists,
 * so it only helps once the old folder is moved aside (which keeps its ledger and objects).
 */
export function repairHint(hyperprovDir: string): string {
    return `restore it from a backup, or move ${hyperprovDir} aside and run \`hyperprov init\` to start a new project (the old records stay in the moved folder)`;
}

/** Validates a parsed config document; `source` names it in error messages. */
export function parseConfig(json: unknown, source = CONFIG_FILENAME): TrackerConfig {
    const fail = (what: string): never => {
        throw new TrackerError('INVALID_ARGUMENT', `${source}: ${what}; fix the file, or ${repairHint(path.isAbsolute(source) ? path.dirname(source) : '.hyperprov/')}`);
    };
    if (!isObject(json)) return fail('expected a JSON object');
    if (json.version !== CONFIG_VERSION) {
        return fail(`unsupported config version ${JSON.stringify(json.version)} (this hyperprov reads version ${CONFIG_VERSION})`);
    }
    const ledger = json.ledger;
    if (!isObject(ledger)) return fail('"ledger" must be an object');
    let ledgerConfig: LedgerConfig;
    if (ledger.backend === 'embedded') {
        const durability = ledger.durability ?? 'fsync';
        if (durability !== 'fsync' && durability !== 'none') fail('"ledger.durability" must be "fsync" or "none"');
        ledgerConfig = { backend: 'embedded', dir: relativePath(ledger.dir, 'ledger.dir', fail), durability: durability as 'fsync' | 'none' };
    } else if (ledger.backend === 'fabric') {
        if (ledger.org !== undefined && (typeof ledger.org !== 'string' || ledger.org === '')) fail('"ledger.org" must be an organisation name from the connection file');
        ledgerConfig = {
            backend: 'fabric',
            connection: relativePath(ledger.connection, 'ledger.connection', fail),
            ...(typeof ledger.org === 'string' && { org: ledger.org }),
        };
    } else {
        return fail('"ledger.backend" must be "embedded" or "fabric"');
    }
    if (typeof json.store !== 'string' || !/^([a-z][a-z0-9+.-]*:\/\/|file:[^/])/i.test(json.store)) {
        fail('"store" must be a store URL such as file:.hyperprov/objects (relative to the project), file:///path, s3://bucket/prefix or sshfs:///mnt/store');
    }
    const identity = json.identity;
    if (!isObject(identity)) return fail('"identity" must be an object');
    return {
        version: CONFIG_VERSION,
        ledger: ledgerConfig,
        store: json.store as string,
        identity: { dir: relativePath(identity.dir, 'identity.dir', fail) },
        cache: json.cache === undefined ? 'cache' : relativePath(json.cache, 'cache', fail),
    };
}

/** Writes the config atomically (tmp file + rename), so a crash never leaves half a config. */
export async function writeConfig(hyperprovDir: string, config: TrackerConfig): Promise<void> {
    const file = path.join(hyperprovDir, CONFIG_FILENAME);
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    const handle = await open(tmp, 'wx', 0o644);
    try {
        await handle.writeFile(`${JSON.stringify(config, null, 2)}\n`);
        await handle.sync();
    } finally {
        await handle.close();
    }
    try {
        await rename(tmp, file);
    } catch (error) {
        await rm(tmp, { force: true });
        throw error;
    }
}

/** Resolves a path from the config against `.hyperprov/` (absolute paths are kept). */
export function resolveConfigPath(hyperprovDir: string, value: string): string {
    return path.resolve(hyperprovDir, value);
}

function relativePath(value: unknown, field: string, fail: (what: string) => never): string {
    if (typeof value !== 'string' || value.length === 0) return fail(`"${field}" must be a non-empty path`);
    return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

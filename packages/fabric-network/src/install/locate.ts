/**
 * Finding installed Fabric binaries, in this order: `$FABRIC_BIN` (a release's bin/), the first
 * `PATH` folder holding them all, then the HyperProv cache. Building from source is the caller's
 * last resort (ensure.ts). A release is taken with its config/ (or `$FABRIC_CFG_PATH`) and its
 * builders/ccaas/, the layout official release tarballs have.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import { runCommand } from '../run-command.js';
import { CCAAS_BUILDER_PROGRAMS, FABRIC_CA_PROGRAMS, FABRIC_PROGRAMS, VERSION_STAMP } from '../versions.js';
import { fabricCacheDir, fabricCaCacheDir } from './cache-paths.js';

/** Where an install was found. */
export type InstallSource = 'FABRIC_BIN' | 'FABRIC_CA_BIN' | 'PATH' | 'cache' | 'built';

export interface FabricInstall {
    source: InstallSource;
    /** Holds peer, orderer, osnadmin, configtxgen, cryptogen. */
    binDir: string;
    /** Holds core.yaml and orderer.yaml (the network copies them and blanks vm.endpoint in its copy). */
    configDir: string;
    /** The CCaaS external builder: a folder with bin/{build,detect,release}. */
    ccaasBuilderDir: string;
    /** What `peer version` reports, e.g. 2.5.16. */
    version: string;
}

export interface FabricCaInstall {
    source: InstallSource;
    /** Holds fabric-ca-server and fabric-ca-client. */
    binDir: string;
    version: string;
}

/** The Fabric install to use without building, or undefined when there is none. Throws when `$FABRIC_BIN` is set but unusable. */
export async function findFabric(env: NodeJS.ProcessEnv = process.env): Promise<FabricInstall | undefined> {
    if (env.FABRIC_BIN) {
        const binDir = resolve(env.FABRIC_BIN);
        const problem = releaseProblem(binDir, env);
        if (problem) throw new TrackerError('INVALID_ARGUMENT', `FABRIC_BIN=${binDir} is not a usable Fabric 2.5 release: ${problem}. Point FABRIC_BIN at the bin/ folder of an official release (with config/ and builders/ beside it, or set FABRIC_CFG_PATH), or unset it to use the HyperProv build.`);
        return { source: 'FABRIC_BIN', binDir, ...releaseDirs(binDir, env), version: await checkedFabricVersion(binDir, 'FABRIC_BIN') };
    }
    for (const dir of pathDirs(env)) {
        if (!FABRIC_PROGRAMS.every((p) => isExecutable(join(dir, p)))) continue;
        if (releaseProblem(dir, env)) continue; // binaries without their config/builders: not a release we can run
        const version = await fabricVersion(join(dir, 'peer')).catch(() => undefined);
        if (!version?.startsWith('2.5.')) continue; // another Fabric on PATH: ignore it rather than run the wrong major version
        return { source: 'PATH', binDir: dir, ...releaseDirs(dir, env), version };
    }
    const cached = fabricCacheDir(env);
    const stamp = readStamp(cached);
    if (stamp && FABRIC_PROGRAMS.every((p) => isExecutable(join(cached, 'bin', p)))) {
        return { source: 'cache', binDir: join(cached, 'bin'), configDir: join(cached, 'config'), ccaasBuilderDir: join(cached, 'builders', 'ccaas'), version: stamp.fabric ?? 'unknown' };
    }
    return undefined;
}

/** The Fabric CA install to use without building: `$FABRIC_CA_BIN`, `$FABRIC_BIN`, `PATH`, then the cache. */
export async function findFabricCa(env: NodeJS.ProcessEnv = process.env): Promise<FabricCaInstall | undefined> {
    const has = (dir: string): boolean => FABRIC_CA_PROGRAMS.every((p) => isExecutable(join(dir, p)));
    if (env.FABRIC_CA_BIN) {
        const binDir = resolve(env.FABRIC_CA_BIN);
        if (!has(binDir)) throw new TrackerError('INVALID_ARGUMENT', `FABRIC_CA_BIN=${binDir} does not hold ${FABRIC_CA_PROGRAMS.join(' and ')}. Point it at the bin/ folder of a Fabric CA 1.5 release, or unset it.`);
        return { source: 'FABRIC_CA_BIN', binDir, version: await checkedCaVersion(binDir) };
    }
    const candidates: Array<[InstallSource, string]> = [
        ...(env.FABRIC_BIN ? [['FABRIC_BIN', resolve(env.FABRIC_BIN)] as [InstallSource, string]] : []),
        ...pathDirs(env).map((dir) => ['PATH', dir] as [InstallSource, string]),
    ];
    for (const [source, binDir] of candidates) {
        if (!has(binDir)) continue;
        const version = await caVersion(join(binDir, 'fabric-ca-server')).catch(() => undefined);
        if (version?.startsWith('1.5.')) return { source, binDir, version };
    }
    const cached = fabricCaCacheDir(env);
    const stamp = readStamp(cached);
    if (stamp && has(join(cached, 'bin'))) return { source: 'cache', binDir: join(cached, 'bin'), version: stamp.fabricCa ?? 'unknown' };
    return undefined;
}

/** `Version: 2.5.16` from `peer version`. */
export async function fabricVersion(peer: string): Promise<string> {
    const { stdout } = await runCommand(peer, ['version'], { env: { PATH: process.env.PATH }, timeoutMs: 20_000 });
    return /^\s*Version:\s*(\S+)/m.exec(stdout)?.[1] ?? 'unknown';
}

/** `Version: 1.5.21` from `fabric-ca-server version`. */
export async function caVersion(server: string): Promise<string> {
    const { stdout } = await runCommand(server, ['version'], { env: { PATH: process.env.PATH }, timeoutMs: 20_000 });
    return /^\s*Version:\s*(\S+)/m.exec(stdout)?.[1] ?? 'unknown';
}

/** The stamp of a cached install, or undefined when the install is absent or incomplete. */
export function readStamp(dir: string): { fabric?: string; fabricCa?: string } | undefined {
    try {
        return JSON.parse(readFileSync(join(dir, VERSION_STAMP), 'utf8')) as { fabric?: string; fabricCa?: string };
    } catch {
        return undefined;
    }
}

function releaseDirs(binDir: string, env: NodeJS.ProcessEnv): { configDir: string; ccaasBuilderDir: string } {
    return { configDir: env.FABRIC_CFG_PATH ? resolve(env.FABRIC_CFG_PATH) : join(binDir, '..', 'config'), ccaasBuilderDir: join(binDir, '..', 'builders', 'ccaas') };
}

/** Why `binDir` is not a complete release, or undefined when it is. */
function releaseProblem(binDir: string, env: NodeJS.ProcessEnv): string | undefined {
    const missing = FABRIC_PROGRAMS.filter((p) => !isExecutable(join(binDir, p)));
    if (missing.length > 0) return `missing ${missing.join(', ')}`;
    const { configDir, ccaasBuilderDir } = releaseDirs(binDir, env);
    const config = ['core.yaml', 'orderer.yaml'].filter((f) => !existsSync(join(configDir, f)));
    if (config.length > 0) return `no ${config.join(' or ')} in ${configDir} (set FABRIC_CFG_PATH)`;
    const builders = CCAAS_BUILDER_PROGRAMS.filter((p) => !isExecutable(join(ccaasBuilderDir, 'bin', p)));
    if (builders.length > 0) return `no CCaaS builder in ${ccaasBuilderDir}/bin (missing ${builders.join(', ')})`;
    return undefined;
}

async function checkedFabricVersion(binDir: string, what: string): Promise<string> {
    const version = await fabricVersion(join(binDir, 'peer'));
    if (!version.startsWith('2.5.')) throw new TrackerError('INVALID_ARGUMENT', `${what}=${binDir}: peer version is ${version}, HyperProv runs Fabric 2.5.x. Point ${what} at a 2.5 release or unset it.`);
    return version;
}

async function checkedCaVersion(binDir: string): Promise<string> {
    const version = await caVersion(join(binDir, 'fabric-ca-server'));
    if (!version.startsWith('1.5.')) throw new TrackerError('INVALID_ARGUMENT', `FABRIC_CA_BIN=${binDir}: fabric-ca-server version is ${version}, HyperProv runs Fabric CA 1.5.x. Point FABRIC_CA_BIN at a 1.5 release or unset it.`);
    return version;
}

function pathDirs(env: NodeJS.ProcessEnv): string[] {
    return (env.PATH ?? '').split(delimiter).filter((dir) => dir !== '');
}

function isExecutable(file: string): boolean {
    try {
        accessSync(file, constants.X_OK);
        return true;
    } catch {
        return false;
    }
}

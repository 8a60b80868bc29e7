/**
 * `ensureFabricBinaries()`: the Fabric and Fabric CA installs to run, found (FABRIC_BIN, PATH,
 * cache) or else built from the source tarballs into the cache. Later calls are cheap: a cached
 * install is recognised by its VERSION.json without running anything.
 */
import { buildFabric, buildFabricCa, notInstallableError, type Log } from './build-from-source.js';
import { withInstallLock } from './install-lock.js';
import { findFabric, findFabricCa, type FabricCaInstall, type FabricInstall } from './locate.js';

export interface FabricBinaries {
    fabric: FabricInstall;
    ca: FabricCaInstall;
}

export interface EnsureOptions {
    env?: NodeJS.ProcessEnv;
    /** Progress lines (building prints one per program); default: stderr. */
    log?: Log;
}

export async function ensureFabricBinaries(options: EnsureOptions = {}): Promise<FabricBinaries> {
    const env = options.env ?? process.env;
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const fabric = (await findFabric(env)) ?? (await buildOnce('fabric', env, log, () => findFabric(env), () => buildFabric(env, log)));
    const ca = (await findFabricCa(env)) ?? (await buildOnce('fabric-ca', env, log, () => findFabricCa(env), () => buildFabricCa(env, log)));
    return { fabric, ca };
}

/** Builds under the install lock, unless another process installed it while we waited for the lock. */
async function buildOnce<T extends { source: string }>(name: string, env: NodeJS.ProcessEnv, log: Log, find: () => Promise<T | undefined>, build: () => Promise<unknown>): Promise<T> {
    return withInstallLock(name, env, log, async () => {
        const found = await find();
        if (found) return found;
        await build();
        const built = await find();
        if (!built) throw notInstallableError(`the ${name} build finished but its output is incomplete`, env);
        return { ...built, source: 'built' };
    });
}

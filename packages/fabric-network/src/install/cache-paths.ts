/**
 * Where installs live: the HyperProv cache shared by every test setup (MinIO is cached there too),
 * and the default folder of the Fabric source tarballs, beside the repository checkout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FABRIC_CA_VERSION, FABRIC_VERSION } from '../versions.js';

export function hyperprovCacheDir(env: NodeJS.ProcessEnv = process.env): string {
    return env.HYPERPROV_CACHE || join(homedir(), '.cache', 'hyperprov');
}

/** `<cache>/fabric/<version>`: bin/, config/, builders/ccaas/bin/ and VERSION.json, like a release. */
export function fabricCacheDir(env: NodeJS.ProcessEnv = process.env): string {
    return join(hyperprovCacheDir(env), 'fabric', FABRIC_VERSION);
}

/** `<cache>/fabric-ca/<version>`: bin/ and VERSION.json. */
export function fabricCaCacheDir(env: NodeJS.ProcessEnv = process.env): string {
    return join(hyperprovCacheDir(env), 'fabric-ca', FABRIC_CA_VERSION);
}

/** The folder holding the source tarballs: `$HYPERPROV_FABRIC_SRC`, else `../shared/fabric` beside the checkout. */
export function fabricSourceDir(env: NodeJS.ProcessEnv = process.env): string {
    return env.HYPERPROV_FABRIC_SRC || join(checkoutRoot(), '..', 'shared', 'fabric');
}

/**
 * The repository checkout this package runs from: the nearest folder above it whose package.json
 * declares workspaces. Installed outside a checkout, the package's own folder stands in.
 */
export function checkoutRoot(): string {
    const here = dirname(fileURLToPath(import.meta.url));
    for (let dir = here; dirname(dir) !== dir; dir = dirname(dir)) {
        const manifest = join(dir, 'package.json');
        if (!existsSync(manifest)) continue;
        try {
            if ((JSON.parse(readFileSync(manifest, 'utf8')) as { workspaces?: unknown }).workspaces) return dir;
        } catch {
            // an unreadable manifest is not the root
        }
    }
    return join(here, '..', '..');
}

/**
 * vitest globalSetup for packages that test against Fabric: one real network for the whole run
 * (binaries installed into the HyperProv cache on first use), its connection file handed to tests
 * through `inject('fabricConnection')` and the env var HYPERPROV_FABRIC_CONNECTION, and torn down
 * afterwards. With HYPERPROV_FABRIC_CONNECTION already set, that network is used and left alone.
 *
 *     // vitest.config.ts
 *     globalSetup: [createRequire(import.meta.url).resolve('@hyperprov/fabric-network/testing/vitest-global-setup')]
 */
import { dirname } from 'node:path';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startTestNetwork } from './test-network.js';

/** What tests get from `inject('fabricNetwork')`. */
export interface FabricTestContext {
    connectionFile: string;
    /** The network folder (network.json, logs/); for a network given by env var, the connection file's folder. */
    dir: string;
    /** False when the network came from HYPERPROV_FABRIC_CONNECTION (do not stop its nodes). */
    owned: boolean;
}

declare module 'vitest' {
    export interface ProvidedContext {
        fabricConnection: string;
        fabricNetwork: FabricTestContext;
    }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
    const given = process.env.HYPERPROV_FABRIC_CONNECTION;
    if (given) {
        project.provide('fabricConnection', given);
        project.provide('fabricNetwork', { connectionFile: given, dir: dirname(given), owned: false });
        return async () => {};
    }
    const network = await startTestNetwork();
    process.env.HYPERPROV_FABRIC_CONNECTION = network.connectionFile;
    project.provide('fabricConnection', network.connectionFile);
    project.provide('fabricNetwork', { connectionFile: network.connectionFile, dir: network.dir, owned: true });
    return async () => {
        delete process.env.HYPERPROV_FABRIC_CONNECTION;
        await network.stop();
    };
}

/**
 * vitest globalSetup of the Fabric integration tests: one real network for the run, started
 * with fabric-network's test helper on a free base port in 21000-21999 (this package's range,
 * so it never collides with other packages' test networks), and stopped afterwards. With
 * HYPERPROV_FABRIC_CONNECTION set, that network is used instead and left alone. Tests read the
 * connection file's path with `inject('fabricConnection')`.
 */
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';
import { startTestNetwork, type FabricTestContext } from '@hyperprov/fabric-network/testing';

/** The ports a network uses from its base port (fabric-network's PORT_SPAN is 80). */
const SPAN = 100;
const RANGE = { first: 21000, last: 21999 };

async function portFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = createServer();
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
}

async function freeBasePort(): Promise<number> {
    for (let base = RANGE.first; base + SPAN - 1 <= RANGE.last; base += SPAN) {
        let free = true;
        for (let port = base; port < base + SPAN && free; port++) free = await portFree(port);
        if (free) return base;
    }
    throw new Error(`no free range of ${SPAN} ports in ${RANGE.first}-${RANGE.last} for a test network; stop the networks using them`);
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
    const given = process.env.HYPERPROV_FABRIC_CONNECTION;
    if (given) {
        const context: FabricTestContext = { connectionFile: given, dir: given.replace(/\/[^/]*$/, ''), owned: false };
        project.provide('fabricConnection', given);
        project.provide('fabricNetwork', context);
        return undefined;
    }
    const network = await startTestNetwork({ basePort: await freeBasePort() });
    project.provide('fabricConnection', network.connectionFile);
    project.provide('fabricNetwork', { connectionFile: network.connectionFile, dir: network.dir, owned: true });
    return () => network.stop();
}

/**
 * Where the contract is: the built @hyperprov/chaincode package (fabric-shim's server loads its
 * `main`, dist/index.js, from its folder) and the fabric-shim CLI it depends on.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TrackerError } from '@hyperprov/errors';

export interface ChaincodeLocation {
    /** The package folder, the server's working folder. */
    dir: string;
    /** fabric-shim's cli.js, run with node directly. */
    shimCli: string;
}

export function locateChaincode(): ChaincodeLocation {
    const require = createRequire(import.meta.url);
    const manifest = require.resolve('@hyperprov/chaincode/package.json');
    const dir = dirname(manifest);
    if (!existsSync(join(dir, 'dist', 'index.js'))) {
        throw new TrackerError('NOT_INITIALIZED', `the contract is not built (${join(dir, 'dist', 'index.js')} is missing): run \`npm run build\` in the HyperProv checkout first`);
    }
    const shimCli = createRequire(manifest).resolve('fabric-shim/cli.js');
    return { dir, shimCli };
}

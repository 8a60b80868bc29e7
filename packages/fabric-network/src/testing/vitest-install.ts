/**
 * vitest globalSetup of this package: installs the Fabric binaries once before any test file runs
 * (building them takes minutes the first time, longer than any hook timeout should be).
 */
import { ensureFabricBinaries } from '../install/ensure.js';

export default async function setup(): Promise<void> {
    await ensureFabricBinaries();
}

import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
    test: {
        // Integration tests run real worker threads, child CLIs, LevelDB and servers on a 2-core
        // machine shared with other builds: vitest's 5 s default fails healthy tests under load.
        testTimeout: 60_000,
        hookTimeout: 120_000,
        projects: [
            { extends: true, test: { name: 'cli', include: ['src/**/*.test.ts'], exclude: ['src/**/*.fabric.int.test.ts'] } },
            {
                extends: true,
                test: {
                    // The same commands on a real Fabric network (9 processes), started once for
                    // these files by fabric-network's globalSetup and stopped after them.
                    name: 'fabric',
                    include: ['src/**/*.fabric.int.test.ts'],
                    globalSetup: [require.resolve('@hyperprov/fabric-network/testing/vitest-global-setup')],
                    fileParallelism: false,
                    testTimeout: 120_000,
                    hookTimeout: 600_000,
                },
            },
        ],
    },
});

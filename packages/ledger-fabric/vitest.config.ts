import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
    test: {
        testTimeout: 60_000,
        hookTimeout: 180_000,
        projects: [
            { extends: true, test: { name: 'unit', include: ['src/**/*.test.ts'], exclude: ['src/**/*.int.test.ts'] } },
            {
                extends: true,
                test: {
                    name: 'fabric',
                    include: ['src/**/*.int.test.ts'],
                    // One real Fabric network (9 processes) for all files, on a 2-core machine
                    // shared with other builds: one file at a time, and block-time timeouts.
                    globalSetup: [require.resolve('@hyperprov/fabric-network/testing/vitest-global-setup')],
                    fileParallelism: false,
                    testTimeout: 120_000,
                    hookTimeout: 600_000,
                },
            },
        ],
    },
});

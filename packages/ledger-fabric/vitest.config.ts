import { defineConfig } from 'vitest/config';

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
                    globalSetup: ['src/testing/fabric-network-setup.ts'],
                    fileParallelism: false,
                    testTimeout: 120_000,
                    hookTimeout: 600_000,
                },
            },
        ],
    },
});

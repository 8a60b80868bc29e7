import { defineConfig } from 'vitest/config';

export default defineConfig({
    test: {
        include: ['src/**/*.test.ts'],
        // Integration files each run a whole Fabric network (9 processes) on a 2-core machine
        // shared with other builds: one file at a time, and generous timeouts.
        fileParallelism: false,
        // Installs (and on the first run builds) the Fabric binaries before any file runs.
        globalSetup: ['src/testing/vitest-install.ts'],
        testTimeout: 120_000,
        hookTimeout: 300_000,
    },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
    test: {
        include: ['src/**/*.test.ts'],
        // Starts one real MinIO server for the whole run (installing it on first use) and stops it.
        globalSetup: ['src/testing/vitest-global-setup.ts'],
        // Integration tests move hundreds of MiB through a real server on a shared 2-core machine.
        testTimeout: 120_000,
        hookTimeout: 120_000,
    },
});

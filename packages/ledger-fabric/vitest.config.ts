import { defineConfig } from 'vitest/config';

export default defineConfig({
    test: {
        include: ['src/**/*.test.ts'],
        // Integration tests (*.int.test.ts) start a real Fabric network (or reuse the one named by
        // HYPERPROV_FABRIC_CONNECTION) on a 2-core machine: commits take a block's time, startup seconds.
        testTimeout: 60_000,
        hookTimeout: 180_000,
    },
});

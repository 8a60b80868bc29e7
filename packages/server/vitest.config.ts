import { defineConfig } from 'vitest/config';

export default defineConfig({
    test: {
        include: ['src/**/*.test.ts'],
        // Integration tests run real worker threads, child CLIs, LevelDB and servers on a 2-core
        // machine shared with other builds: vitest's 5 s default fails healthy tests under load.
        testTimeout: 60_000,
        hookTimeout: 120_000,
    },
});

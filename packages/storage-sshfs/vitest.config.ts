import { defineConfig } from 'vitest/config';

export default defineConfig({
    test: {
        include: ['src/**/*.test.ts'],
        // Installs openssh-server + sshfs if missing, starts one private sshd and mounts it for the
        // whole run, and always unmounts and stops it afterwards.
        globalSetup: ['src/testing/vitest-global-setup.ts'],
        // Integration tests move tens of MiB through a real sshd on a shared 2-core machine.
        testTimeout: 60_000,
        hookTimeout: 120_000,
    },
});

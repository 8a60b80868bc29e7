import { afterEach, describe, expect, it } from 'vitest';
import type { TestProject } from 'vitest/node';
import setup from './vitest-global-setup.js';

describe('the vitest globalSetup', () => {
    const saved = process.env.HYPERPROV_FABRIC_CONNECTION;
    afterEach(() => {
        if (saved === undefined) delete process.env.HYPERPROV_FABRIC_CONNECTION;
        else process.env.HYPERPROV_FABRIC_CONNECTION = saved;
    });

    it('reuses the network HYPERPROV_FABRIC_CONNECTION names, starting nothing', async () => {
        process.env.HYPERPROV_FABRIC_CONNECTION = '/somewhere/net/connection.json';
        const provided: Record<string, unknown> = {};
        const project = { provide: (key: string, value: unknown) => void (provided[key] = value) } as unknown as TestProject;
        const teardown = await setup(project);
        expect(provided).toEqual({
            fabricConnection: '/somewhere/net/connection.json',
            fabricNetwork: { connectionFile: '/somewhere/net/connection.json', dir: '/somewhere/net', owned: false },
        });
        await teardown();
        expect(process.env.HYPERPROV_FABRIC_CONNECTION).toBe('/somewhere/net/connection.json');
    });
});

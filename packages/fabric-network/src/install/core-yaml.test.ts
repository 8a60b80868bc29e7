import { describe, expect, it } from 'vitest';
import { blankVmEndpoint, readVmEndpoint } from './core-yaml.js';

/** The shape of Fabric 2.5's sampleconfig/core.yaml around the key, other `endpoint:` keys included. */
const SAMPLE = `peer:
    gossip:
        # endpoint: a comment that mentions the key
        endpoint:
    deliveryclient:
        addressOverrides:
vm:

    # Endpoint of the vm management system.  For docker can be one of the following in general
    # unix:///var/run/docker.sock
    endpoint: unix:///var/run/docker.sock

    docker:
        tls:
            enabled: false
        endpoint: nested-must-stay
chaincode:
    externalBuilders: []
operations:
    listenAddress: 127.0.0.1:9443
`;

describe('blankVmEndpoint', () => {
    it('blanks vm.endpoint and changes no other line', () => {
        const edited = blankVmEndpoint(SAMPLE);
        expect(readVmEndpoint(edited)).toBe('');
        const before = SAMPLE.split('\n');
        const after = edited.split('\n');
        expect(after).toHaveLength(before.length);
        const changed = after.map((line, n) => [line, before[n]]).filter(([a, b]) => a !== b);
        expect(changed).toEqual([['    endpoint: ""', '    endpoint: unix:///var/run/docker.sock']]);
        expect(edited).toContain('        endpoint: nested-must-stay');
    });

    it('is idempotent', () => {
        const once = blankVmEndpoint(SAMPLE);
        expect(blankVmEndpoint(once)).toBe(once);
    });

    it('reads the docker socket before the edit', () => {
        expect(readVmEndpoint(SAMPLE)).toBe('unix:///var/run/docker.sock');
    });

    it('refuses a file whose vm section has no endpoint key, rather than guessing', () => {
        expect(() => blankVmEndpoint('vm:\n    docker:\n        endpoint: x\n')).toThrow(/no `endpoint:` key/);
        expect(() => blankVmEndpoint('peer:\n    endpoint: x\n')).toThrow(/no `endpoint:` key/);
    });
});

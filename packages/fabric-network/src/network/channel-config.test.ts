import { describe, expect, it } from 'vitest';
import { channelConfig, DEFAULT_BATCH_TIMEOUT_MS } from './channel-config.js';

const ordererOf = (config: object) => (Object.values((config as { Profiles: object }).Profiles)[0] as { Orderer: { BatchTimeout: string } }).Orderer;

describe('channelConfig', () => {
    it('cuts blocks after the default batch timeout unless the network is made with another', () => {
        expect(ordererOf(channelConfig('/n', 7000)).BatchTimeout).toBe(`${DEFAULT_BATCH_TIMEOUT_MS}ms`);
        expect(ordererOf(channelConfig('/n', 7000, { batchTimeoutMs: 25 })).BatchTimeout).toBe('25ms');
    });
});

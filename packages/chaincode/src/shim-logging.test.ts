import { describe, expect, it, vi } from 'vitest';
import { skipDisabledShimLogging } from './shim-logging';

describe('fabric-shim logging', () => {
    it('messages below the level are dropped before winston formats them; the rest still go out', () => {
        const shimLogger = require('fabric-shim/lib/logger') as { getLogger(name: string): Record<string, (...args: unknown[]) => unknown> & { level: string } };
        skipDisabledShimLogging();
        const logger = shimLogger.getLogger('lib/handler.js');
        logger.level = 'warn';
        const write = vi.spyOn(logger, 'write' as never).mockImplementation((() => true) as never);
        try {
            logger.debug?.('per-message detail');
            logger.info?.('per-transaction detail');
            expect(write).not.toHaveBeenCalled();
            logger.warn?.('something to see');
            expect(write).toHaveBeenCalledTimes(1);
            logger.level = 'debug';
            logger.debug?.('now wanted');
            expect(write).toHaveBeenCalledTimes(2);
            // Applying it twice does not stack wrappers.
            skipDisabledShimLogging();
            logger.level = 'warn';
            logger.debug?.('dropped again');
            expect(write).toHaveBeenCalledTimes(2);
        } finally {
            write.mockRestore();
        }
    });
});

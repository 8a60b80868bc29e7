/**
 * fabric-shim logs through winston, whose level methods format a message and only then drop it
 * when its level is off (they write before checking). The shim logs several debug lines for every
 * message it exchanges with the peer, so a setMany of 100 records spent about a fifth of the
 * chaincode server's CPU formatting lines nobody sees (`--cpu-prof` of the server: 280 of 1424 ms,
 * logform's metadata and timestamp formats called from handler.js). The loggers of the shim's
 * per-message modules get level methods that check the level first; what is logged is unchanged.
 */
interface WinstonLogger {
    isLevelEnabled(level: string): boolean;
    [level: string]: unknown;
}

/** The fabric-shim modules that log per message or per transaction. */
const HOT_MODULES = ['lib/handler.js', 'lib/stub.js', 'lib/iterators.js', 'lib/chaincode.js', 'contracts-spi/chaincodefromcontract.js', 'contracts-spi/datamarshall.js'];
const CHECKED_LEVELS = ['debug', 'verbose', 'info'];

export function skipDisabledShimLogging(): void {
    let shimLogger: { getLogger(name: string): WinstonLogger };
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        shimLogger = require('fabric-shim/lib/logger') as typeof shimLogger;
    } catch {
        return; // another fabric-shim layout: leave its logging alone
    }
    for (const name of HOT_MODULES) {
        const logger = shimLogger.getLogger(name);
        for (const level of CHECKED_LEVELS) {
            const write = logger[level];
            if (typeof write !== 'function' || (write as { checksLevel?: boolean }).checksLevel) continue;
            const checked = function (this: unknown, ...args: unknown[]): unknown {
                return logger.isLevelEnabled(level) ? (write as (...a: unknown[]) => unknown).apply(logger, args) : logger;
            };
            checked.checksLevel = true;
            logger[level] = checked;
        }
    }
}

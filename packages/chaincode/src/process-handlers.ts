/**
 * fabric-contract-api's winston logger installs process-wide `uncaughtException` and
 * `unhandledRejection` handlers that log and carry on (exitOnError: false). Inside a Fabric
 * chaincode process fabric-shim installs its own anyway; inside an application that embeds the
 * contract (the tracker's embedded ledger) they would turn every crash into "log and keep going".
 * So the handlers added while the contract modules load are removed again once they have loaded.
 */
const EVENTS = ['uncaughtException', 'unhandledRejection', 'uncaughtExceptionMonitor'] as const;
type ProcessEvent = (typeof EVENTS)[number];
const listenersOf = (event: ProcessEvent): Function[] => process.listeners(event as 'uncaughtException');

const baseline = new Map<string, Set<unknown>>(EVENTS.map((event) => [event, new Set<unknown>(listenersOf(event))]));

/** Removes process handlers added since this module loaded (i.e. by the contract's dependencies). */
export function removeLibraryProcessHandlers(): void {
    for (const event of EVENTS) {
        const before = baseline.get(event)!;
        for (const listener of listenersOf(event)) {
            if (!before.has(listener)) process.removeListener(event as 'uncaughtException', listener as NodeJS.UncaughtExceptionListener);
        }
    }
}

/**
 * The read path: evaluate runs one of the contract's query functions against a LevelDB snapshot
 * of committed state, so a read sees one point in time while commits go on. The query functions
 * come from `@hyperprov/chaincode/queries`, loaded without fabric-contract-api; any other function
 * needs the contract itself, and one that writes or emits an event is refused (submit it instead).
 */
import { TrackerError } from '@hyperprov/errors';
import { translateContractError } from '@hyperprov/ledger';
import { checkInvocation, invokeContract, type ContractBinding } from './contract-host.js';
import type { LedgerCore } from './ledger-core.js';
import { EmbeddedStub } from './stub.js';
import { committedView } from './state-views.js';
import { newTxId } from './tx-id.js';

/**
 * Evaluates `fn` on committed state. `queries` answers the functions it has; `contract()` loads
 * the full contract for any other. Admission (open, state backed, not aborted) is the caller's.
 */
export async function evaluateQuery(
    core: LedgerCore,
    queries: ContractBinding,
    contract: () => Promise<ContractBinding>,
    fn: string,
    args: readonly string[],
    signal: AbortSignal | undefined,
): Promise<string> {
    let view: ReturnType<typeof committedView> | undefined;
    try {
        const binding = Object.hasOwn(queries.transactions, fn) ? queries : await contract();
        checkInvocation(binding, fn, args);
        view = committedView(core.store, core.db.snapshot());
        const stub = new EmbeddedStub(view, newTxId(core.identity), Date.now(), { signal });
        let result: string;
        try {
            result = await invokeContract(binding, fn, args, stub, core.clientIdentity);
        } catch (error) {
            throw translateContractError(error, { fn });
        }
        const effects = stub.effects();
        if (effects.writes.size > 0 || effects.event) {
            throw new TrackerError('INVALID_ARGUMENT', `${fn} writes to the ledger, so it cannot be evaluated; submit it instead`);
        }
        return result;
    } finally {
        await view?.close();
    }
}

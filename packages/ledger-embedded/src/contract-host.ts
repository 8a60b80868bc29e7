/**
 * Runs contract functions in-process the way fabric-shim's ChaincodeFromContract does: a fresh
 * context per transaction with the stub and client identity, beforeTransaction, the function,
 * afterTransaction; the same argument-count check; results as text.
 */
import { StubError, type EmbeddedStub } from './stub.js';
import type { LocalClientIdentity } from './client-identity.js';
import { PROVENANCE_QUERIES } from '@hyperprov/chaincode/queries';
import { TrackerError } from '@hyperprov/errors';

/** Minimal shape of a fabric-contract-api Contract instance. */
export interface ContractInstance {
    createContext(): { setChaincodeStub(stub: unknown): void; setClientIdentity(identity: unknown): void };
    beforeTransaction?(ctx: unknown): Promise<void> | void;
    afterTransaction?(ctx: unknown, result: unknown): Promise<void> | void;
    [fn: string]: unknown;
}

/** The contract to run and the table of its callable transactions. */
export interface ContractBinding {
    contract: ContractInstance;
    transactions: { readonly [fn: string]: { readonly submit: boolean } };
}

/** Loads the provenance contract (lazily: fabric-contract-api takes ~150 ms to import). */
export async function loadProvenanceContract(): Promise<ContractBinding> {
    const [{ ProvenanceContract }, { PROVENANCE_TRANSACTIONS }] = await Promise.all([
        import('@hyperprov/chaincode'),
        import('@hyperprov/chaincode/protocol'),
    ]);
    return {
        contract: new ProvenanceContract() as unknown as ContractInstance,
        transactions: PROVENANCE_TRANSACTIONS,
    };
}

/**
 * The provenance contract's evaluate transactions alone. They are the very functions the
 * contract class delegates to, imported without fabric-contract-api, so a process that only reads
 * (`hyperprov get`) starts in a fraction of the time.
 */
export function loadProvenanceQueries(): ContractBinding {
    const contract: ContractInstance = {
        createContext() {
            const ctx = {
                stub: undefined as unknown,
                clientIdentity: undefined as unknown,
                setChaincodeStub(stub: unknown) {
                    ctx.stub = stub;
                },
                setClientIdentity(identity: unknown) {
                    ctx.clientIdentity = identity;
                },
            };
            return ctx;
        },
        ...PROVENANCE_QUERIES,
    };
    const transactions = Object.fromEntries(Object.keys(PROVENANCE_QUERIES).map((fn) => [fn, { submit: false }]));
    return { contract, transactions };
}

/** Checks fn and args before anything runs; throws INVALID_ARGUMENT. */
export function checkInvocation(binding: ContractBinding, fn: string, args: readonly string[]): (...a: unknown[]) => unknown {
    const spec = Object.hasOwn(binding.transactions, fn) ? binding.transactions[fn] : undefined;
    const method = binding.contract[fn];
    if (!spec || typeof method !== 'function') {
        const known = Object.keys(binding.transactions).join(', ');
        throw new TrackerError('INVALID_ARGUMENT', `the contract has no transaction '${fn}'; use one of: ${known}`);
    }
    const expected = method.length - 1;
    if (args.length !== expected) {
        throw new TrackerError('INVALID_ARGUMENT', `${fn}: Expected ${expected} parameters, but ${args.length} have been supplied`);
    }
    for (const [i, arg] of args.entries()) {
        if (typeof arg !== 'string') throw new TrackerError('INVALID_ARGUMENT', `${fn}: argument ${i} must be a string, got ${typeof arg}`);
    }
    return method as (...a: unknown[]) => unknown;
}

/** Runs `fn` with the stub; returns the result as text. Contract errors propagate unchanged. */
export async function invokeContract(
    binding: ContractBinding,
    fn: string,
    args: readonly string[],
    stub: EmbeddedStub,
    identity: LocalClientIdentity,
): Promise<string> {
    const method = checkInvocation(binding, fn, args);
    const contract = binding.contract;
    const ctx = contract.createContext();
    ctx.setChaincodeStub(stub);
    ctx.setClientIdentity(identity);
    try {
        await contract.beforeTransaction?.(ctx);
        const result = await method.call(contract, ctx, ...args);
        await contract.afterTransaction?.(ctx, result);
        return resultText(result);
    } catch (error) {
        if (error instanceof StubError) {
            throw new TrackerError('INTERNAL', `contract function ${fn} misused the ledger API: ${error.message}; this is a contract bug`, { cause: error });
        }
        throw error;
    } finally {
        await stub.closeIterators();
    }
}

function resultText(result: unknown): string {
    if (result === undefined || result === null) return '';
    if (typeof result === 'string') return result;
    if (result instanceof Uint8Array) return Buffer.from(result).toString('utf8');
    return JSON.stringify(result);
}

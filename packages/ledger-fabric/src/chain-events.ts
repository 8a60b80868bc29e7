/**
 * events(): the contract's chaincode events (valid transactions only, in commit order) from the
 * gateway peer, replayed from `startBlock` and then followed live. The stream is resumed after
 * a dropped connection (peer restart) from a checkpoint of the last event handed out, so a
 * follower sees every event once, in order; it gives up with LEDGER_UNAVAILABLE when the peer
 * stays unreachable for `reconnectMs`. Without `startBlock` it starts at the chain height when
 * iteration begins: only events committed after that.
 */
import { checkpointers, type ChaincodeEvent, type CloseableAsyncIterable, type Network } from '@hyperledger/fabric-gateway';
import { TrackerError } from '@hyperprov/errors';
import type { EventOptions, LedgerEvent } from '@hyperprov/ledger';
import { translateGatewayError } from './gateway-errors.js';

export interface ChainEventSource {
    network: Network;
    chaincode: string;
    peer: string;
    /** Current chain height, for the default start. */
    height(): Promise<bigint>;
    /** Called with a function that ends the stream when the ledger closes; returns its removal. */
    onClose(stop: () => void): () => void;
    /** How long to keep reconnecting before giving up, ms. */
    reconnectMs: number;
}

const decoder = new TextDecoder();

function toLedgerEvent(event: ChaincodeEvent): LedgerEvent {
    return {
        blockNumber: event.blockNumber,
        transactionId: event.transactionId,
        eventName: event.eventName,
        payload: decoder.decode(event.payload),
    };
}

/** The chaincode events of `source` as the Ledger interface's events(). */
export async function* chainEvents(source: ChainEventSource, options: EventOptions, startHeight: Promise<bigint> | undefined): AsyncGenerator<LedgerEvent> {
    const { signal } = options;
    if (signal?.aborted) return;
    let stopped = false;
    let stream: CloseableAsyncIterable<ChaincodeEvent> | undefined;
    let wake: (() => void) | undefined;
    const stop = (): void => {
        stopped = true;
        stream?.close();
        wake?.();
    };
    signal?.addEventListener('abort', stop, { once: true });
    const removeCloseHook = source.onClose(stop);
    try {
        const startBlock = options.startBlock ?? (await (startHeight ?? source.height()));
        const checkpoint = checkpointers.inMemory();
        let failingSince: number | undefined;
        let pause = 100;
        while (!stopped) {
            try {
                stream = await source.network.getChaincodeEvents(source.chaincode, { startBlock, checkpoint });
                if (stopped) return;
                for await (const event of stream) {
                    failingSince = undefined;
                    pause = 100;
                    // Checkpointed before it is handed out: a resumed stream starts after it.
                    await checkpoint.checkpointChaincodeEvent(event);
                    yield toLedgerEvent(event);
                    if (stopped) return;
                }
                if (stopped) return;
                // The peer ended the stream without being asked to: resume like after a drop.
                throw new Error('the peer ended the event stream');
            } catch (error) {
                if (stopped) return;
                failingSince ??= Date.now();
                if (Date.now() - failingSince > source.reconnectMs) {
                    throw translateGatewayError(error, { fn: 'chaincode events', peer: source.peer });
                }
                await new Promise<void>((resolve) => {
                    const timer = setTimeout(resolve, pause);
                    wake = () => {
                        clearTimeout(timer);
                        resolve();
                    };
                });
                wake = undefined;
                pause = Math.min(pause * 2, 5_000);
            } finally {
                stream?.close();
                stream = undefined;
            }
        }
    } catch (error) {
        throw error instanceof TrackerError ? error : translateGatewayError(error, { fn: 'chaincode events', peer: source.peer });
    } finally {
        signal?.removeEventListener('abort', stop);
        removeCloseHook();
    }
}

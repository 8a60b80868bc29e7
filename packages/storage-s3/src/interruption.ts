/**
 * The S3 store uses the shared interruption of @hyperprov/storage (caller's signal, checksum
 * promise, failed part upload), whose `race` does not retain body chunks.
 */
export { watchInterruption, type Interruption } from '@hyperprov/storage';

/** Record inputs for tests that write through the contract (`set` takes one RecordInput as JSON). */
import { createHash } from 'node:crypto';

export function recordInput(key: string, content = key): string {
    const checksum = `sha256:${createHash('sha256').update(content).digest('hex')}`;
    return JSON.stringify({ key, checksum, size: Buffer.byteLength(content), location: 'file:///tmp/hyperprov-test', pointer: key });
}

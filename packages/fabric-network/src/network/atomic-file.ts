/** Writes a file so readers see the old or the new content, never a partial one: temp file, fsync, rename. */
import { open, rename, rm } from 'node:fs/promises';

export async function writeFileAtomic(path: string, text: string): Promise<void> {
    const temp = `${path}.${process.pid}.${Date.now()}.tmp`;
    try {
        const file = await open(temp, 'w', 0o644);
        try {
            await file.writeFile(text);
            await file.sync();
        } finally {
            await file.close();
        }
        await rename(temp, path);
    } catch (error) {
        await rm(temp, { force: true });
        throw error;
    }
}

// HyperProv projects as users get them: `initTracker` (embedded ledger, fsync durability, the
// given store URL) then `openTracker`, and every file recorded with `tracker.record` — hash +
// store + ledger commit, the same call the CLI, watcher and epoch hook make.
import { initTracker, openStore, openTracker } from '@hyperprov/tracker';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';

let counter = 0;

/**
 * A fresh project in `parent` recording to `storeUrl` (undefined: the default local store in
 * `.hyperprov/objects`). `tracker.record` for recording, `store` (a separate handle on the same
 * store) for deleting what a figure stored.
 */
export async function createProject(parent, name, storeUrl) {
    const dir = path.join(parent, `project-${name}-${counter++}`);
    await mkdir(dir, { recursive: true });
    const init = await initTracker({ dir, ...(storeUrl !== undefined && { store: storeUrl }) });
    const tracker = await openTracker({ dir });
    const store = await openStore(init.config.store);
    return {
        dir,
        tracker,
        store,
        storeUrl: init.config.store,
        /** Records `file` under `key`, returns the record result. */
        record: (file, key) => tracker.record(file, { key }),
        async close() {
            await tracker.close();
            await store.close();
        },
    };
}

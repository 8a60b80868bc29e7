/**
 * @hyperprov/watcher: records the checkpoints a training script writes into a folder, each one
 * once it is finished, through an {@link EpochSink} (the project's tracker or its server).
 */
export { createWatcher, type Watcher, type WatcherOptions, type WatchEvent, type WatchStatus, type WatchSummary } from './watcher.js';
export { checkFileFormat, type Completeness } from './checkpoint-format.js';
export { CHECKPOINT_EXTENSIONS, isTempName, parseEpoch, fileKey, dirKey, datasetKey } from './naming.js';
export type { EpochSink } from '@hyperprov/tracker';

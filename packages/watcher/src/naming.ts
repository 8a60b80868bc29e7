/**
 * What names tell the watcher: which files are a writer's temporary files (never checkpoints),
 * which are checkpoints, the epoch number in a name, and the item key a checkpoint goes under.
 */
import path from 'node:path';

/**
 * Temporary names of tmp+rename writers, editors and downloaders: the final name appears with the
 * rename, so these are never recorded (and a checkpoint directory holding one is still being written).
 */
const TEMP_NAMES = [/^\./, /~$/, /^~\$/, /\.(tmp|temp|partial|part|crdownload|download|swp|swx|lock)$/i, /\.tmp[._-]?[\w-]*$/i];

/** Extensions of checkpoint files recorded by default (no `--pattern`). */
export const CHECKPOINT_EXTENSIONS = [
    '.pt',
    '.pth',
    '.ckpt',
    '.bin',
    '.safetensors',
    '.keras',
    '.h5',
    '.hdf5',
    '.onnx',
    '.pkl',
    '.pickle',
    '.joblib',
    '.npz',
    '.msgpack',
    '.gguf',
    '.tflite',
    '.pb',
];

/** Whether a file or folder name is a writer's temporary name. */
export function isTempName(name: string): boolean {
    return TEMP_NAMES.some((re) => re.test(name));
}

/** Hugging Face Trainer's checkpoint folders: `checkpoint-500`. */
export const HF_CHECKPOINT_DIR = /^checkpoint-(\d+)$/;

/** The name without its extension (`ckpt-epoch3.pt` → `ckpt-epoch3`); a folder keeps its name. */
export function stemOf(name: string, isDir: boolean): string {
    if (isDir) return name;
    const ext = path.extname(name);
    return ext.length > 0 && ext.length < name.length ? name.slice(0, -ext.length) : name;
}

const EPOCH_PATTERNS = [/checkpoint-(\d+)/i, /epoch[_-]?(\d+)/i, /(\d+)(?!.*\d)/];

/** The epoch number in a checkpoint's stem: `checkpoint-N`, `epochN`/`epoch_N`/`epoch-N`, else its last number. */
export function parseEpoch(stem: string): number | undefined {
    for (const re of EPOCH_PATTERNS) {
        const match = re.exec(stem);
        if (!match) continue;
        const n = Number(match[1]);
        // A 20-digit timestamp is no epoch number the record could hold exactly.
        return Number.isSafeInteger(n) ? n : undefined;
    }
    return undefined;
}

/**
 * The key a checkpoint file goes under when none is given: `models/` + its stem without the epoch
 * number, so `ckpt-epoch3.pt` and `ckpt-epoch4.pt` are versions of one key (`models/ckpt`). A
 * name that is only a number falls back to the models folder's name.
 */
export function fileKey(stem: string, modelsDir: string): string {
    let base = stem;
    for (const re of EPOCH_PATTERNS) {
        if (re.test(base)) {
            base = base.replace(re, '');
            break;
        }
    }
    // `ckpt-` or `model_.` once the number is gone: the separators belonged to the number.
    base = base.replace(/[-_. ]+$/, '').replace(/^[-_. ]+/, '').replace(/[-_. ]{2,}/g, (run) => run[0] as string);
    return `models/${base === '' ? path.basename(path.resolve(modelsDir)) : base}`;
}

/** The key of checkpoint directories (`checkpoint-N/`, sharded sets): `models/<models folder's name>`. */
export function dirKey(modelsDir: string): string {
    return `models/${path.basename(path.resolve(modelsDir))}`;
}

/**
 * The key the outbox gives a dataset directory by default (`datasets/<path inside the project>`,
 * else `datasets/<directory name>`): the watcher's own re-manifests must land on the same key.
 */
export function datasetKey(dir: string, root: string): string {
    const rel = path.relative(path.resolve(root), path.resolve(dir));
    const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
    return `datasets/${(inside ? rel : path.basename(path.resolve(dir))).split(path.sep).join('/')}`;
}

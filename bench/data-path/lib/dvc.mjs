// DVC from PyPI, for the side-by-side batch figure: installed into a venv under the HyperProv
// cache (`${HYPERPROV_CACHE:-~/.cache/hyperprov}/dvc-venv`) on first use and reused while its pins
// match. Every DVC project here is fresh, with its own site cache dir (DVC's hash state), so
// `dvc add` hashes every file, as HyperProv's fresh projects do.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { hyperprovCacheDir } from '@hyperprov/storage-s3/testing';
import { run } from './exec.mjs';

/** Pinned PyPI versions (DVC 3.67.1 with the S3 and SSH remotes of the same release train). */
export const DVC_PINS = ['dvc==3.67.1', 'dvc-s3==3.3.0', 'dvc-ssh==4.3.0'];

export function dvcVenvDir() {
    return path.join(hyperprovCacheDir(), 'dvc-venv');
}

/** Environment for every dvc command: no analytics, no update checks (no network calls besides the remote). */
function dvcEnv(extra = {}) {
    return { ...process.env, DVC_NO_ANALYTICS: '1', DVC_IGNORE_ISATTY: 'true', ...extra };
}

/** Path of the `dvc` executable, installing the pinned venv if it is missing or outdated. */
export async function ensureDvc(log) {
    const venv = dvcVenvDir();
    const marker = path.join(venv, '.hyperprov-pins');
    const dvc = path.join(venv, 'bin', 'dvc');
    const wanted = DVC_PINS.join('\n');
    if (existsSync(dvc) && (await readFile(marker, 'utf8').catch(() => '')) === wanted) return dvc;
    log(`[dvc] installing ${DVC_PINS.join(' ')} into ${venv} (first run only)…`);
    // A venv cannot be moved, so it is built in place; the marker, written last, says it is complete.
    await rm(venv, { recursive: true, force: true });
    await mkdir(path.dirname(venv), { recursive: true });
    await run(process.env.PYTHON ?? 'python3', ['-m', 'venv', venv]);
    await run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', ...DVC_PINS]);
    await writeFile(marker, wanted);
    log(`[dvc] ${(await run(dvc, ['--version'], { env: dvcEnv() })).trim()} installed`);
    return dvc;
}

/**
 * A fresh DVC project (no git: `--no-scm`) in `dir`, which must already hold the files to add, with
 * default settings except: analytics and update checks off, and a private site cache dir.
 */
export async function createDvcProject(dvc, dir) {
    const exec = (...args) => run(dvc, args, { cwd: dir, env: dvcEnv() });
    await rm(path.join(dir, '.dvc'), { recursive: true, force: true });
    await exec('init', '--no-scm', '--force', '--quiet');
    await exec('config', 'core.analytics', 'false');
    await exec('config', 'core.check_update', 'false');
    await exec('config', 'core.site_cache_dir', path.join(dir, '.dvc', 'site-cache'));
    return {
        exec,
        /** Adds a remote and makes it the default. `settings` are `dvc remote modify` pairs. */
        async addRemote(name, url, settings = {}) {
            await exec('remote', 'add', '--default', '--force', name, url);
            for (const [key, value] of Object.entries(settings)) await exec('remote', 'modify', name, key, String(value));
        },
        /** Removes the project's metadata and cache, leaving the data files. */
        async remove(files) {
            await rm(path.join(dir, '.dvc'), { recursive: true, force: true });
            await rm(path.join(dir, '.dvcignore'), { force: true });
            await Promise.all(files.map((file) => rm(`${file}.dvc`, { force: true })));
            await rm(path.join(dir, '.gitignore'), { force: true });
        },
    };
}

export { dvcEnv };

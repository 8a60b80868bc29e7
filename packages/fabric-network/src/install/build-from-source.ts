/**
 * Builds Fabric and Fabric CA from the vendored source tarballs into the HyperProv cache (the Go
 * module proxy refuses both projects, so `go install` cannot fetch them). The flags are the ones
 * the team's warm builds use (-trimpath, -mod=vendor, the release's version stamp), so a warm Go
 * build cache turns the 2-4 minute compile into mostly cache hits. Every build happens in a
 * temporary folder beside the cache entry and is renamed into place with its VERSION.json already
 * written: an interrupted or concurrent build never leaves a partial install behind (callers
 * hold the install lock, install-lock.ts, so two builds never share the temporary folder).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import { CommandError, runCommand } from '../run-command.js';
import {
    CCAAS_BUILDER_PROGRAMS,
    FABRIC_CA_PROGRAMS,
    FABRIC_CA_SOURCE,
    FABRIC_CA_VERSION,
    FABRIC_COMMIT,
    FABRIC_CONFIG_FILES,
    FABRIC_PROGRAMS,
    FABRIC_SOURCE,
    FABRIC_VERSION,
    MIN_GO_VERSION,
    VERSION_STAMP,
    type SourceTarball,
} from '../versions.js';
import { fabricCacheDir, fabricCaCacheDir, fabricSourceDir } from './cache-paths.js';
import { blankVmEndpoint } from './core-yaml.js';
import { readStamp } from './locate.js';

export type Log = (line: string) => void;

const FABRIC_LDFLAGS = `-X github.com/hyperledger/fabric/common/metadata.Version=${FABRIC_VERSION} -X github.com/hyperledger/fabric/common/metadata.CommitSHA=${FABRIC_COMMIT.slice(0, 7)}`;
const FABRIC_CA_LDFLAGS = `-X github.com/hyperledger/fabric-ca/lib/metadata.Version=${FABRIC_CA_VERSION}`;

/** Builds peer, orderer, osnadmin, configtxgen, cryptogen, the CCaaS builder and config/ into `<cache>/fabric/<version>`. */
export async function buildFabric(env: NodeJS.ProcessEnv, log: Log): Promise<string> {
    const finalDir = fabricCacheDir(env);
    await buildInto(finalDir, FABRIC_SOURCE, env, log, async (src, out) => {
        const goEnv = { ...env, GOFLAGS: '-mod=vendor', GOTOOLCHAIN: 'local' };
        for (const [n, program] of FABRIC_PROGRAMS.entries()) {
            await goBuild(`${program} (${n + 1}/${FABRIC_PROGRAMS.length})`, ['-ldflags', FABRIC_LDFLAGS, '-o', join(out, 'bin', program), `./cmd/${program}`], src, goEnv, log);
        }
        // The builder is a nested module without vendor/: its three small dependencies come from the Go module proxy.
        const builderEnv = { ...env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local' };
        for (const program of CCAAS_BUILDER_PROGRAMS) {
            await goBuild(`ccaas_builder ${program}`, ['-o', join(out, 'builders', 'ccaas', 'bin', program), `./cmd/${program}`], join(src, 'ccaas_builder'), builderEnv, log);
        }
        await mkdir(join(out, 'config'), { recursive: true });
        for (const file of FABRIC_CONFIG_FILES) await copyFile(join(src, 'sampleconfig', file), join(out, 'config', file));
        const core = join(out, 'config', 'core.yaml');
        await writeFile(core, blankVmEndpoint(await readFile(core, 'utf8')));
        return { fabric: FABRIC_VERSION, commit: FABRIC_COMMIT };
    });
    return finalDir;
}

/** Builds fabric-ca-server and fabric-ca-client into `<cache>/fabric-ca/<version>/bin`. */
export async function buildFabricCa(env: NodeJS.ProcessEnv, log: Log): Promise<string> {
    const finalDir = fabricCaCacheDir(env);
    await buildInto(finalDir, FABRIC_CA_SOURCE, env, log, async (src, out) => {
        // cgo stays on: the server's sqlite3 registry needs it.
        const goEnv = { ...env, GOFLAGS: '-mod=vendor', GOTOOLCHAIN: 'local' };
        for (const program of FABRIC_CA_PROGRAMS) {
            await goBuild(program, ['-ldflags', FABRIC_CA_LDFLAGS, '-o', join(out, 'bin', program), `./cmd/${program}`], src, goEnv, log);
        }
        return { fabricCa: FABRIC_CA_VERSION };
    });
    return finalDir;
}

/** The error when no binaries exist and none can be built: says exactly what to install or set. */
export function notInstallableError(reason: string, env: NodeJS.ProcessEnv, cause?: unknown): TrackerError {
    const srcDir = fabricSourceDir(env);
    return new TrackerError(
        'LEDGER_UNAVAILABLE',
        `No Fabric ${FABRIC_VERSION} / Fabric CA ${FABRIC_CA_VERSION} binaries were found (FABRIC_BIN unset, none on PATH, none in the HyperProv cache ${dirname(dirname(fabricCacheDir(env)))}) ` +
            `and they cannot be built: ${reason}. To fix it, either install Go >= ${MIN_GO_VERSION.join('.')} (with gcc) and put ${FABRIC_SOURCE.file} and ${FABRIC_CA_SOURCE.file} ` +
            `(sha256 in ../shared/fabric/README.md) in ${srcDir} (or set HYPERPROV_FABRIC_SRC to their folder), then run \`hyperprov-network install\`; ` +
            'or set FABRIC_BIN to the bin/ folder of an official Fabric 2.5 release (config/ and builders/ beside it) and FABRIC_CA_BIN to a Fabric CA 1.5 bin/.',
        cause === undefined ? {} : { cause },
    );
}

type Stamp = Record<string, string>;

async function buildInto(finalDir: string, source: SourceTarball, env: NodeJS.ProcessEnv, log: Log, build: (src: string, out: string) => Promise<Stamp>): Promise<void> {
    const tarball = join(fabricSourceDir(env), source.file);
    if (!existsSync(tarball)) throw notInstallableError(`${tarball} does not exist`, env);
    await checkGo(env);
    await verifySha256(tarball, source.sha256, env);
    await mkdir(dirname(finalDir), { recursive: true });
    // A fixed folder (the caller holds the install lock): Go's build cache keys cgo packages
    // (sqlite3, zstd) by their source folder, so a random one would recompile them every time.
    const staging = join(dirname(finalDir), `.build-${basename(finalDir)}`);
    await rm(staging, { recursive: true, force: true });
    await mkdir(staging);
    const started = Date.now();
    try {
        log(`[fabric-network] extracting ${source.file} (first install only; the build takes 2-4 minutes on 2 cores)`);
        await runCommand('tar', ['-xJf', tarball, '-C', staging], { env });
        const out = join(staging, 'out');
        const stamp = await build(join(staging, source.topDir), out);
        // Last: the stamp is what marks the install complete.
        await writeFile(join(out, VERSION_STAMP), `${JSON.stringify({ ...stamp, source: source.file, sha256: source.sha256, builtAt: new Date().toISOString(), go: await goVersion(env) }, null, 2)}\n`);
        try {
            await rename(out, finalDir);
        } catch (error) {
            // Another build finished first: its install is as good as ours.
            if (!readStamp(finalDir)) throw error;
        }
        log(`[fabric-network] installed ${finalDir} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    } finally {
        await rm(staging, { recursive: true, force: true });
    }
}

async function goBuild(what: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, log: Log): Promise<void> {
    const started = Date.now();
    log(`[fabric-network] go build ${what}…`);
    try {
        await runCommand('go', ['build', '-trimpath', '-buildvcs=false', ...args], { env, cwd });
    } catch (error) {
        const output = error instanceof CommandError ? error.output : (error as Error).message;
        throw new TrackerError('INTERNAL', `go build ${what} failed: ${output}`, { cause: error });
    }
    log(`[fabric-network]   ${what} built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function goVersion(env: NodeJS.ProcessEnv): Promise<string> {
    const { stdout } = await runCommand('go', ['env', 'GOVERSION'], { env: { ...env, GOTOOLCHAIN: 'local' }, timeoutMs: 30_000 });
    return stdout.trim();
}

async function checkGo(env: NodeJS.ProcessEnv): Promise<void> {
    let version: string;
    try {
        version = await goVersion(env);
    } catch (error) {
        throw notInstallableError('the `go` command is not available', env, error);
    }
    const [major = 0, minor = 0] = (/^go(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
    const [wantMajor, wantMinor] = MIN_GO_VERSION;
    if (major < wantMajor || (major === wantMajor && minor < wantMinor)) throw notInstallableError(`${version} is too old`, env);
}

async function verifySha256(file: string, expected: string, env: NodeJS.ProcessEnv): Promise<void> {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    const actual = hash.digest('hex');
    if (actual !== expected) throw notInstallableError(`${file} has sha256 ${actual}, expected ${expected} (a different or damaged download)`, env);
}

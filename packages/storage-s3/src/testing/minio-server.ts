/**
 * A real MinIO server for tests and benchmarks: built once from the Go module proxy into
 * `${HYPERPROV_CACHE:-~/.cache/hyperprov}/minio/<version>/bin/minio`, then started as a plain process
 * on a free 127.0.0.1 port with a temporary data directory and generated credentials.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Go module of the MinIO server. */
export const MINIO_MODULE = 'github.com/minio/minio';
/**
 * Pinned MinIO version. MinIO tags releases as `RELEASE.<date>`, which the Go module proxy does not
 * serve as semver, so we pin the pseudo-version of a commit on master (2026-02-12), which builds with
 * Go 1.26 and has no `replace` directives (so `go install module@version` works).
 */
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';

/** Connection details of a running S3-compatible test server. */
export interface S3TestServerInfo {
    endpoint: string;
    region: string;
    accessKeyId: string;
    secretAccessKey: string;
}

export interface MinioServer extends S3TestServerInfo, AsyncDisposable {
    readonly process: ChildProcess;
    readonly dataDir: string;
    /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its data directory. Idempotent. */
    stop(): Promise<void>;
}

/** The cache root shared by every HyperProv test setup. */
export function hyperprovCacheDir(): string {
    return process.env.HYPERPROV_CACHE ?? join(homedir(), '.cache', 'hyperprov');
}

/** Path the pinned MinIO binary is installed at (it may not exist yet). */
export function minioBinaryPath(version = MINIO_VERSION): string {
    return join(hyperprovCacheDir(), 'minio', version, 'bin', 'minio');
}

/**
 * Returns the path of the pinned MinIO binary, building it with `go install` first if it is not in
 * the cache. The build takes several minutes on 2 cores; it goes to a temporary GOBIN and is renamed
 * into place, so a concurrent or interrupted build never leaves a half-written binary behind.
 */
export async function ensureMinio(options: { version?: string; log?: (line: string) => void } = {}): Promise<string> {
    const version = options.version ?? MINIO_VERSION;
    const binary = minioBinaryPath(version);
    if (existsSync(binary)) return binary;
    const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
    const binDir = join(hyperprovCacheDir(), 'minio', version, 'bin');
    await mkdir(binDir, { recursive: true });
    const staging = await mkdtemp(join(hyperprovCacheDir(), 'minio', version, 'build-'));
    log(`[minio] building ${MINIO_MODULE}@${version} with go install (first run only, takes minutes)…`);
    try {
        await run('go', ['install', `${MINIO_MODULE}@${version}`], { ...process.env, GOBIN: staging, GOFLAGS: '-buildvcs=false' });
        await rename(join(staging, 'minio'), binary);
    } catch (error) {
        throw new Error(
            `Could not build MinIO (${MINIO_MODULE}@${version}) with go install: ${(error as Error).message}. ` +
                'Install Go >= 1.24 and make sure the Go module proxy is reachable, then run the tests again.',
            { cause: error },
        );
    } finally {
        await rm(staging, { recursive: true, force: true });
    }
    log(`[minio] installed ${binary}`);
    return binary;
}

/** Starts MinIO on a free loopback port with a fresh data directory and random credentials. */
export async function startMinio(options: { binary?: string; dataDir?: string } = {}): Promise<MinioServer> {
    const binary = options.binary ?? (await ensureMinio());
    const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'hyperprov-minio-')));
    const port = await freePort();
    const accessKeyId = `hp${randomBytes(6).toString('hex')}`;
    const secretAccessKey = randomBytes(24).toString('base64url');
    const child = spawn(binary, ['server', dataDir, '--address', `127.0.0.1:${port}`, '--quiet'], {
        env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: process.env.HOME ?? tmpdir(),
            MINIO_ROOT_USER: accessKeyId,
            MINIO_ROOT_PASSWORD: secretAccessKey,
            MINIO_BROWSER: 'off',
            // Allows the data directory to live on the root disk, as it does on CI machines.
            MINIO_CI_CD: '1',
            MINIO_UPDATE: 'off',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
        stderr = (stderr + text).slice(-4000);
    });
    const endpoint = `http://127.0.0.1:${port}`;
    let stopped: Promise<void> | undefined;
    const stop = (): Promise<void> =>
        (stopped ??= (async () => {
            if (child.exitCode === null && child.signalCode === null) {
                const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
                child.kill('SIGTERM');
                const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
                await exited;
                clearTimeout(timer);
            }
            if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
        })());
    try {
        await waitUntilLive(endpoint, child, () => stderr);
    } catch (error) {
        await stop();
        throw error;
    }
    return {
        endpoint,
        region: 'us-east-1',
        accessKeyId,
        secretAccessKey,
        process: child,
        dataDir,
        stop,
        [Symbol.asyncDispose]: stop,
    };
}

async function waitUntilLive(endpoint: string, child: ChildProcess, stderr: () => string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
        if (child.exitCode !== null || child.signalCode !== null) {
            throw new Error(`MinIO exited during startup (${child.exitCode ?? child.signalCode}): ${stderr()}`);
        }
        try {
            const response = await fetch(`${endpoint}/minio/health/ready`);
            if (response.ok) return;
        } catch {
            // not listening yet
        }
        await sleep(100);
    }
    throw new Error(`MinIO did not become ready at ${endpoint} within 60 s: ${stderr()}`);
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const address = server.address();
            const port = typeof address === 'object' && address ? address.port : 0;
            server.close(() => resolve(port));
        });
    });
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { env, stdio: ['ignore', 'inherit', 'pipe'] });
        let stderr = '';
        child.stderr?.setEncoding('utf8').on('data', (text: string) => {
            stderr = (stderr + text).slice(-4000);
            process.stderr.write(text);
        });
        child.once('error', reject);
        child.once('exit', (code, signal) => {
            if (code === 0) resolve();
            else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}): ${stderr.trim()}`));
        });
    });
}

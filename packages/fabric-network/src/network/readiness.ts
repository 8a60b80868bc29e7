/**
 * Waiting for a node to serve: orderers and peers answer 200 on /healthz (operations port), a CA
 * answers GET /cainfo over its TLS, the chaincode server accepts a TCP connection. A node whose
 * process exits while we wait fails at once, with the tail of its log.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { TrackerError } from '@hyperprov/errors';
import type { NodeSpec, Readiness } from './node-specs.js';
import { logFile, runningPid } from './processes.js';

export async function waitReady(dir: string, spec: NodeSpec, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; ; attempt++) {
        if (await isReady(spec.readiness)) return;
        if ((await runningPid(dir, spec.name)) === undefined) {
            throw new TrackerError('LEDGER_UNAVAILABLE', `${spec.name} exited during startup; the end of ${logFile(dir, spec.name)}:\n${await logTail(dir, spec.name)}`);
        }
        if (Date.now() > deadline) {
            throw new TrackerError('TIMEOUT', `${spec.name} did not become ready within ${timeoutMs / 1000} s (${describe(spec.readiness)}); the end of ${logFile(dir, spec.name)}:\n${await logTail(dir, spec.name)}`);
        }
        await sleep(attempt < 20 ? 100 : 250);
    }
}

export async function isReady(readiness: Readiness): Promise<boolean> {
    switch (readiness.kind) {
        case 'http':
            try {
                const response = await fetch(readiness.url, { signal: AbortSignal.timeout(2000) });
                await response.arrayBuffer();
                return response.ok;
            } catch {
                return false;
            }
        case 'https':
            return (await httpsGet(readiness.url, readFileSync(readiness.rootCertFile, 'utf8')).catch(() => undefined))?.status === 200;
        case 'tcp':
            return tcpOpen(readiness.port);
    }
}

/** GET over TLS trusting only `rootCertPem` (the CA's TLS certificate names localhost and 127.0.0.1). */
export function httpsGet(url: string, rootCertPem: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = request(url, { ca: rootCertPem, servername: 'localhost', timeout: 3000 }, (response) => {
            let body = '';
            response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
            response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
            response.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error('timed out')));
        req.on('error', reject);
        req.end();
    });
}

export function tcpOpen(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = connect({ host: '127.0.0.1', port, timeout: 1000 });
        const done = (open: boolean): void => {
            socket.destroy();
            resolve(open);
        };
        socket.once('connect', () => done(true));
        socket.once('error', () => done(false));
        socket.once('timeout', () => done(false));
    });
}

/** True when nothing listens on 127.0.0.1:`port` (we can bind it). */
export function portFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const server = createServer();
        server.once('error', () => resolve(false));
        server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
}

export async function logTail(dir: string, name: string, lines = 15): Promise<string> {
    const text = await readFile(logFile(dir, name), 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function describe(readiness: Readiness): string {
    return readiness.kind === 'tcp' ? `TCP 127.0.0.1:${readiness.port}` : `GET ${readiness.url}`;
}

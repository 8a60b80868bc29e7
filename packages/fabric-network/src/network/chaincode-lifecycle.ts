/**
 * Deploying the contract with Fabric's lifecycle: install the CCaaS package on both peers, approve
 * the definition for both orgs, commit it (MAJORITY: both orgs' approvals and endorsements), then
 * wait until a query answers through each peer. Every step checks first whether it is done, so a
 * resumed `up` can run it again; approve and commit retry, since a brand-new channel may have no
 * Raft leader for the first second or two.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../run-command.js';
import { allPeersFlags, ordererFlags, peerAdminEnv } from './node-specs.js';
import { retry } from './retry.js';
import { CHAINCODE, CHAINCODE_VERSION, CHANNEL, ORGS } from './topology.js';

type Log = (line: string) => void;

export interface LifecycleInputs {
    dir: string;
    basePort: number;
    peer: string;
    packageId: string;
    packageBytes: Buffer;
    log: Log;
}

const SEQUENCE = '1';

export async function installOnPeers({ dir, basePort, peer, packageId, packageBytes }: LifecycleInputs): Promise<void> {
    const file = join(dir, 'channel', `${CHAINCODE}.tgz`);
    await writeFile(file, packageBytes);
    await Promise.all(
        ORGS.map(async (org) => {
            const env = peerAdminEnv(dir, basePort, org.name);
            const { stdout } = await runCommand(peer, ['lifecycle', 'chaincode', 'queryinstalled', '--output', 'json'], { env, timeoutMs: 30_000 });
            const installed = (JSON.parse(stdout || '{}') as { installed_chaincodes?: Array<{ package_id: string }> }).installed_chaincodes ?? [];
            if (installed.some((c) => c.package_id === packageId)) return;
            await runCommand(peer, ['lifecycle', 'chaincode', 'install', file], { env, timeoutMs: 120_000 });
        }),
    );
}

export async function isCommitted({ dir, basePort, peer }: LifecycleInputs): Promise<boolean> {
    const env = peerAdminEnv(dir, basePort, ORGS[0]?.name as string);
    try {
        await runCommand(peer, ['lifecycle', 'chaincode', 'querycommitted', '-C', CHANNEL, '-n', CHAINCODE, '--output', 'json'], { env, timeoutMs: 30_000 });
        return true;
    } catch {
        return false;
    }
}

export async function approveAndCommit(inputs: LifecycleInputs): Promise<void> {
    const { dir, basePort, peer, packageId, log } = inputs;
    const definition = ['-C', CHANNEL, '-n', CHAINCODE, '--version', CHAINCODE_VERSION, '--sequence', SEQUENCE];
    const approvals = async (): Promise<Record<string, boolean>> => {
        const env = peerAdminEnv(dir, basePort, ORGS[0]?.name as string);
        const { stdout } = await runCommand(peer, ['lifecycle', 'chaincode', 'checkcommitreadiness', ...definition, '--output', 'json'], { env, timeoutMs: 30_000 });
        return (JSON.parse(stdout) as { approvals: Record<string, boolean> }).approvals;
    };
    const approved = await approvals().catch(() => ({}) as Record<string, boolean>);
    await Promise.all(
        ORGS.filter((org) => !approved[org.mspId]).map((org) =>
            retry(
                `approve for ${org.mspId}`,
                10,
                1000,
                () =>
                    runCommand(peer, ['lifecycle', 'chaincode', 'approveformyorg', ...ordererFlags(dir, basePort), ...definition, '--package-id', packageId], {
                        env: peerAdminEnv(dir, basePort, org.name),
                        timeoutMs: 60_000,
                    }),
                log,
            ),
        ),
    );
    if (await isCommitted(inputs)) return;
    await retry(
        'commit chaincode definition',
        10,
        1000,
        () =>
            runCommand(peer, ['lifecycle', 'chaincode', 'commit', ...ordererFlags(dir, basePort), ...definition, ...allPeersFlags(dir, basePort)], {
                env: peerAdminEnv(dir, basePort, ORGS[0]?.name as string),
                timeoutMs: 60_000,
            }),
        log,
    );
}

/** Waits until the contract answers through every peer (the peer dials the chaincode server on first use). */
export async function waitForChaincode({ dir, basePort, peer, log }: LifecycleInputs): Promise<void> {
    await Promise.all(
        ORGS.map((org) =>
            retry(
                `first query through ${org.peer}`,
                40,
                250,
                () =>
                    runCommand(peer, ['chaincode', 'query', '-C', CHANNEL, '-n', CHAINCODE, '-c', '{"Args":["org.hyperledger.fabric:GetMetadata"]}'], {
                        env: peerAdminEnv(dir, basePort, org.name),
                        timeoutMs: 30_000,
                    }),
                log,
            ),
        ),
    );
}

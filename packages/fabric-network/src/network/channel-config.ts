/**
 * The channel's genesis block, made by configtxgen from our own configtx (JSON, which its YAML
 * reader accepts). Channel participation API, no system channel: the block is handed to every
 * orderer with `join`. Choices: Raft with a 100 ms tick (new leader in about 2 s instead of 5-15 s
 * with the defaults), batches cut after 10 ms (a lone submit waits about that long) or 500
 * transactions, and MAJORITY endorsement: with two orgs, both must endorse.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../run-command.js';
import { cryptoPaths } from './crypto-material.js';
import { CHANNEL, ORDERER_MSP_ID, ORDERERS, ORGS, portsOf } from './topology.js';

/** How long the orderers wait for more transactions before cutting a block (a lone submit waits about that long). */
// 10 ms, not Fabric's 2 s: the client coalesces concurrent records into batches itself, so a
// block need not wait for more transactions. Measured on 2 cores: a lone record's commit p50
// 134 ms at 100 ms, 48-54 ms at 20 ms (bench/fabric.mjs), 33-35 against 47-52 ms at 10 against
// 20 ms in alternating networks, where 64 records in flight made 453-685 against 443-642 per s.
export const DEFAULT_BATCH_TIMEOUT_MS = 10;
export const MAX_MESSAGE_COUNT = 500;
export const RAFT_TICK_INTERVAL = '100ms';
const PROFILE = 'HyperProvChannel';

/** Channel settings fixed when the network is created. */
export interface ChannelOptions {
    /** BatchTimeout in ms (default DEFAULT_BATCH_TIMEOUT_MS). */
    batchTimeoutMs?: number;
}

const signature = (rule: string): object => ({ Type: 'Signature', Rule: rule });
const implicit = (rule: string): object => ({ Type: 'ImplicitMeta', Rule: rule });

/** The configtx document for a network in `dir` on `basePort`. */
export function channelConfig(dir: string, basePort: number, options: ChannelOptions = {}): object {
    const ordererOrg = {
        Name: 'OrdererOrg',
        ID: ORDERER_MSP_ID,
        MSPDir: join(cryptoPaths.ordererOrg(dir), 'msp'),
        Policies: {
            Readers: signature(`OR('${ORDERER_MSP_ID}.member')`),
            Writers: signature(`OR('${ORDERER_MSP_ID}.member')`),
            Admins: signature(`OR('${ORDERER_MSP_ID}.admin')`),
        },
        OrdererEndpoints: ORDERERS.map((name) => `127.0.0.1:${portsOf(name, basePort).listen}`),
    };
    const peerOrgs = ORGS.map((org) => ({
        Name: org.mspId,
        ID: org.mspId,
        MSPDir: join(cryptoPaths.peerOrg(dir, org), 'msp'),
        Policies: {
            Readers: signature(`OR('${org.mspId}.admin', '${org.mspId}.peer', '${org.mspId}.client')`),
            Writers: signature(`OR('${org.mspId}.admin', '${org.mspId}.client')`),
            Admins: signature(`OR('${org.mspId}.admin')`),
            Endorsement: signature(`OR('${org.mspId}.peer')`),
        },
        AnchorPeers: [{ Host: '127.0.0.1', Port: portsOf(org.peer, basePort).listen }],
    }));
    const standard = { Readers: implicit('ANY Readers'), Writers: implicit('ANY Writers'), Admins: implicit('MAJORITY Admins') };
    return {
        Profiles: {
            [PROFILE]: {
                Policies: standard,
                Capabilities: { V2_0: true },
                Orderer: {
                    OrdererType: 'etcdraft',
                    BatchTimeout: `${options.batchTimeoutMs ?? DEFAULT_BATCH_TIMEOUT_MS}ms`,
                    BatchSize: { MaxMessageCount: MAX_MESSAGE_COUNT, AbsoluteMaxBytes: '10 MB', PreferredMaxBytes: '2 MB' },
                    EtcdRaft: {
                        Consenters: ORDERERS.map((name) => {
                            const tls = cryptoPaths.node(dir, name).tls;
                            return { Host: '127.0.0.1', Port: portsOf(name, basePort).listen, ClientTLSCert: tls.cert, ServerTLSCert: tls.cert };
                        }),
                        Options: { TickInterval: RAFT_TICK_INTERVAL, ElectionTick: 10, HeartbeatTick: 1, MaxInflightBlocks: 5, SnapshotIntervalSize: '16 MB' },
                    },
                    Organizations: [ordererOrg],
                    Policies: { ...standard, BlockValidation: implicit('ANY Writers') },
                    Capabilities: { V2_0: true },
                },
                Application: {
                    Organizations: peerOrgs,
                    Policies: { ...standard, LifecycleEndorsement: implicit('MAJORITY Endorsement'), Endorsement: implicit('MAJORITY Endorsement') },
                    Capabilities: { V2_5: true },
                },
            },
        },
    };
}

/** Writes `<dir>/config/configtx.yaml` and the genesis block `<dir>/channel/<channel>.block`; returns the block's path. */
export async function generateGenesisBlock(dir: string, basePort: number, configtxgen: string, env: NodeJS.ProcessEnv, options: ChannelOptions = {}): Promise<string> {
    const configDir = join(dir, 'config', 'configtx');
    await writeFile(join(configDir, 'configtx.yaml'), `${JSON.stringify(channelConfig(dir, basePort, options), null, 2)}\n`);
    const block = join(dir, 'channel', `${CHANNEL}.block`);
    await runCommand(configtxgen, ['-profile', PROFILE, '-outputBlock', block, '-channelID', CHANNEL], { env: { ...env, FABRIC_CFG_PATH: configDir } });
    await readFile(block); // configtxgen exits 0 on some failures without writing: make sure the block is there
    return block;
}

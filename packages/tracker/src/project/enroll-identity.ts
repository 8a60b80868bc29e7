/**
 * `enrollIdentity`: registers and enrolls a user with the Fabric CA of the project's organisation
 * and makes it the project's signing identity. The new identity is proven on the network (a
 * read through the gateway) before the config switches to it, and written to a folder of its
 * own first, so a failure anywhere leaves the project signing as before.
 */
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import { checkIdentity, saveLocalIdentity, type LocalIdentity } from '@hyperprov/ledger';
import { findProjectDir, readConfig, writeConfig } from '../config/index.js';
import type { EnrollOptions, EnrollResult } from '../tracker.js';
import { certificateSubject } from './certificate-subject.js';
import { projectConnectionPath } from './fabric-project.js';
import { loadFabricPackage, openLedgerBackend } from './ledger-backends.js';

/** Folder of enrolled identities inside `.hyperprov/`, one sub-folder per user. */
export const IDENTITIES_DIRNAME = 'identities';

export async function enrollIdentity(options: EnrollOptions): Promise<EnrollResult> {
    const { hyperprovDir } = await findProjectDir(options.dir ?? process.cwd());
    const config = await readConfig(hyperprovDir);
    if (config.ledger.backend !== 'fabric') {
        throw new TrackerError(
            'INVALID_ARGUMENT',
            'this project records on the embedded ledger, which has no certificate authority; enroll is for Fabric projects (`hyperprov init --ledger fabric --connection <file>`)',
        );
    }
    const fabric = await loadFabricPackage();
    const connectionFile = projectConnectionPath(hyperprovDir, config.ledger);
    const connection = await fabric.loadConnectionFile(connectionFile);
    const org = options.ca === undefined ? fabric.findOrganization(connection, config.ledger.org) : orgOfCa(connection.organizations, options.ca, connectionFile);
    if (!org.ca) {
        throw new TrackerError('INVALID_ARGUMENT', `${connectionFile} names no Fabric CA for ${org.name}; pass --ca <url> of a CA listed there, or add "ca": {"url", "tlsRootCertPem"} to ${org.name}`);
    }
    const registrar = options.registrar ?? org.ca.registrar;
    const enrolled = await fabric.registerAndEnroll({
        ca: org.ca,
        enrollId: options.user,
        ...(options.secret !== undefined && { secret: options.secret }),
        ...(registrar && { registrar }),
        ...(options.attributes && { attributes: options.attributes }),
    });
    const issuer = firstCertificate(enrolled.caChainPem);
    const identity: LocalIdentity = { mspId: org.mspId, certificatePem: enrolled.certificatePem, privateKeyPem: enrolled.privateKeyPem, caCertificatePem: issuer };
    checkIdentity(identity, `the certificate the CA at ${org.ca.url} issued`);

    // The network must accept it before the project signs with it.
    const ledger = await openLedgerBackend({ config: { ...config.ledger, org: org.name }, hyperprovDir, identity, create: false });
    try {
        await ledger.info();
    } finally {
        await ledger.close();
    }

    const relative = path.join(IDENTITIES_DIRNAME, options.user);
    const target = path.join(hyperprovDir, relative);
    const staging = `${target}.enroll-${process.pid}`;
    await rm(staging, { recursive: true, force: true });
    await saveLocalIdentity(staging, identity);
    // An earlier enrollment of the same user is replaced: its key is of no use once re-enrolled.
    await rm(target, { recursive: true, force: true });
    await rename(staging, target);
    await writeConfig(hyperprovDir, { ...config, ledger: { ...config.ledger, org: org.name }, identity: { dir: relative } });
    return {
        user: options.user,
        mspId: org.mspId,
        subject: certificateSubject(identity.certificatePem),
        registered: enrolled.registered,
        identityDir: target,
        certificate: identity.certificatePem,
        attributes: options.attributes ?? [],
    };
}

function orgOfCa<O extends { name: string; ca?: { url: string } }>(orgs: readonly O[], url: string, file: string): O {
    const wanted = normalise(url);
    const org = orgs.find((o) => o.ca && normalise(o.ca.url) === wanted);
    if (!org) {
        const known = orgs.filter((o) => o.ca).map((o) => `${o.name}: ${o.ca!.url}`);
        throw new TrackerError(
            'INVALID_ARGUMENT',
            `no organisation in ${file} has its CA at ${url} (${known.join(', ') || 'it lists no CA'}); the CA must be listed, since its TLS root and organisation come from there`,
        );
    }
    return org;
}

function normalise(url: string): string {
    try {
        return new URL(url).origin;
    } catch {
        return url;
    }
}

function firstCertificate(chainPem: string): string {
    const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(chainPem);
    if (!match) throw new TrackerError('INTERNAL', 'the Fabric CA returned no CA certificate with the enrollment; check the CA server');
    return `${match[0]}\n`;
}

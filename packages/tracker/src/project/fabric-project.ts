/**
 * What a Fabric project keeps in `.hyperprov/`: a copy of the network's connection file (TLS
 * roots and endpoints inline, so the project does not depend on where the file came from; the
 * users' key paths are left out, since the project's own identity folder holds the one key it
 * signs with) and that identity. Used by init and enroll.
 */
import path from 'node:path';
import { TrackerError } from '@hyperprov/errors';
import type { LocalIdentity } from '@hyperprov/ledger';
import type { FabricLedgerConfig } from '../config/index.js';
import { loadFabricPackage } from './ledger-backends.js';

/** Name of the connection file's copy inside `.hyperprov/`. */
export const PROJECT_CONNECTION_FILE = 'fabric-connection.json';

/** What init writes for a Fabric project. */
export interface FabricProjectFiles {
    ledger: FabricLedgerConfig;
    /** The connection file's text for `.hyperprov/fabric-connection.json`. */
    connectionText: string;
    identity: LocalIdentity;
}

/** Reads the connection file, picks the organisation and user, and loads that user's identity. */
export async function prepareFabricProject(options: { connection: string; org?: string; user?: string }): Promise<FabricProjectFiles> {
    const fabric = await loadFabricPackage();
    const connection = await fabric.loadConnectionFile(options.connection);
    const org = fabric.findOrganization(connection, options.org);
    const users = Object.keys(org.users);
    const user = options.user ?? (users.includes('User1') ? 'User1' : users[0]);
    if (user === undefined) {
        throw new TrackerError(
            'INVALID_ARGUMENT',
            `${options.connection} lists no users for ${org.name}; add one ("users": {"<name>": {"certificate": "<file>", "privateKey": "<file>"}}) with a certificate your network's CA issued, then run init again`,
        );
    }
    const identity = await fabric.loadConnectionUser(connection, { org: org.name, user });
    // The copy is the parsed file without the users (their key files stay where they are) and
    // without what parsing added (where it was read from).
    const { baseDir: _baseDir, source: _source, ...document } = connection;
    const copy = { ...document, organizations: document.organizations.map(({ users: _users, ...rest }) => rest) };
    return {
        ledger: { backend: 'fabric', connection: PROJECT_CONNECTION_FILE, org: org.name },
        connectionText: `${JSON.stringify(copy, null, 2)}\n`,
        identity,
    };
}

/** The absolute path of a project's connection file. */
export function projectConnectionPath(hyperprovDir: string, ledger: FabricLedgerConfig): string {
    return path.resolve(hyperprovDir, ledger.connection);
}

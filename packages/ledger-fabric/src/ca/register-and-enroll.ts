/**
 * `hyperprov enroll`'s core: register a user with the org's Fabric CA (unless it already has a
 * secret) and enroll it into a new key and certificate. The registrar is enrolled for this call
 * only; its key is never stored.
 */
import { TrackerError } from '@hyperprov/errors';
import { enroll, register, type CaAttribute, type EnrolledIdentity, type FabricCaEndpoint } from './fabric-ca-client.js';

export interface RegisterAndEnrollOptions {
    ca: FabricCaEndpoint;
    /** Enrollment id of the new user. */
    enrollId: string;
    /**
     * The user's enrollment secret when it is already registered (then nothing is registered);
     * without it the user is registered first by `registrar`.
     */
    secret?: string;
    /** Registrar's enrollment id and secret (the CA's bootstrap admin on a local network). */
    registrar?: { enrollId: string; enrollSecret: string };
    /** Attributes written into the certificate, readable by the chaincode. */
    attributes?: readonly CaAttribute[];
}

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export async function registerAndEnroll(options: RegisterAndEnrollOptions): Promise<EnrolledIdentity & { registered: boolean }> {
    if (!ID_PATTERN.test(options.enrollId)) {
        throw new TrackerError('INVALID_ARGUMENT', `user name ${JSON.stringify(options.enrollId)} is not valid: use 1-64 letters, digits, '.', '_', '@' or '-'`);
    }
    for (const attribute of options.attributes ?? []) {
        // hf.* attributes are the CA's own (registrar rights, enrollment id); setting them is a privilege question, not ours.
        if (!/^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(attribute.name) || attribute.name.startsWith('hf.')) {
            throw new TrackerError('INVALID_ARGUMENT', `attribute name ${JSON.stringify(attribute.name)} is not valid: use letters, digits, '.', '_' or '-', not starting with "hf."`);
        }
    }
    const attributeNames = (options.attributes ?? []).map((a) => a.name);
    if (options.secret !== undefined) {
        return { ...(await enroll(options.ca, options.enrollId, options.secret, attributeNames)), registered: false };
    }
    if (!options.registrar) {
        throw new TrackerError(
            'INVALID_ARGUMENT',
            `registering ${options.enrollId} with the Fabric CA at ${options.ca.url} needs a registrar: pass --registrar <id>:<secret>, or --secret <secret> if the user is already registered`,
        );
    }
    const registrar = await enroll(options.ca, options.registrar.enrollId, options.registrar.enrollSecret);
    const secret = await register(options.ca, registrar, { enrollId: options.enrollId, ...(options.attributes && { attributes: options.attributes }) });
    return { ...(await enroll(options.ca, options.enrollId, secret, attributeNames)), registered: true };
}

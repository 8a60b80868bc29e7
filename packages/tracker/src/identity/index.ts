export {
    createLocalIdentity,
    saveLocalIdentity,
    loadLocalIdentity,
    checkIdentity,
    IDENTITY_FILES,
    type LocalIdentity,
    type CreateLocalIdentityOptions,
} from './local-identity.js';
export { fabricClientId, LocalClientIdentity } from './client-identity.js';
export { createSigner, createVerifier, type Signer, type SignatureVerifier } from './signer.js';

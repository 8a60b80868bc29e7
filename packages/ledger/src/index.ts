/**
 * @hyperprov/ledger: what every ledger backend shares. The {@link Ledger} interface the tracker
 * talks to, the translation of contract errors into TrackerErrors, and the local identity
 * (an ECDSA P-256 X.509 member certificate, as a Fabric MSP would issue) with its signer. The
 * conformance suite every backend runs is at `@hyperprov/ledger/conformance`.
 */
export type { Ledger, SubmitResult, LedgerEvent, EventOptions, LedgerInfo, LedgerAttention } from './ledger.js';
export type { LedgerVerification, LedgerProblem } from './verification.js';
export { translateContractError, type ContractErrorContext } from './contract-errors.js';
export {
    createLocalIdentity,
    saveLocalIdentity,
    loadLocalIdentity,
    checkIdentity,
    IDENTITY_FILES,
    type LocalIdentity,
    type CreateLocalIdentityOptions,
} from './local-identity.js';
export { createLocalSigner, createSignatureVerifier, type LocalSigner, type SignatureVerifier } from './local-signer.js';

/**
 * fabric-contract-api logs every decorator at `info` level to stdout when the contract class is
 * defined, and reads the level once, when its modules load. In the embedded ledger that noise
 * would corrupt the CLI's `--json` output, so default the level to WARNING unless the operator
 * (or a Fabric peer's chaincode config) chose one. Imported before fabric-contract-api.
 */
process.env.CORE_CHAINCODE_LOGGING_LEVEL ??= 'WARNING';

export {};

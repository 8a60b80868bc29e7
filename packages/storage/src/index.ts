export type { ObjectStore, PutOptions, PutResult, ObjectInfo, GetOptions } from './object-store.js';
export { StoreError, isStoreError, type StoreErrorCode } from './errors.js';

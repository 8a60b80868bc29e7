/** The Fabric CA client: enough of its REST API to register and enroll users. */
export { caInfo, enroll, register, type CaAttribute, type CaCredentials, type EnrolledIdentity, type FabricCaEndpoint } from './fabric-ca-client.js';
export { registerAndEnroll, type RegisterAndEnrollOptions } from './register-and-enroll.js';

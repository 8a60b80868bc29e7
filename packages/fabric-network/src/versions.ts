/**
 * The pinned Fabric and Fabric CA releases, the source tarballs they are built from (verified by
 * sha256 before anything is extracted), and the programs each install must hold.
 */

/** Fabric release the network runs (2.5 LTS). */
export const FABRIC_VERSION = '2.5.16';
/** Commit of the v2.5.16 tag; the short form is stamped into the binaries as Fabric's Makefile does. */
export const FABRIC_COMMIT = 'f871cf92a026aba7b12e6f06d71ded3e6e659d71';
/** Fabric CA release. */
export const FABRIC_CA_VERSION = '1.5.21';
/** Go release the sources need (their go.mod directives: 1.26.4 and 1.25.0; the toolchain is used as is). */
export const MIN_GO_VERSION: readonly [number, number] = [1, 26];

/** A source tarball: its file name, its sha256 (from ../shared/fabric/README.md) and its top folder. */
export interface SourceTarball {
    file: string;
    sha256: string;
    topDir: string;
}

export const FABRIC_SOURCE: SourceTarball = {
    file: `fabric-${FABRIC_VERSION}-src.tar.xz`,
    sha256: 'd34dd3a2cc5bf3e381cff8f4f323e0e138b97cba57bf302348f65b02bf2a9563',
    topDir: `fabric-${FABRIC_VERSION}`,
};

export const FABRIC_CA_SOURCE: SourceTarball = {
    file: `fabric-ca-${FABRIC_CA_VERSION}-src.tar.xz`,
    sha256: '9e84b056f3c98c999547b684ca3d5af1a7280cb1ba25ef2a599c674e4966729b',
    topDir: `fabric-ca-${FABRIC_CA_VERSION}`,
};

/** Fabric programs the network needs, as in an official release's bin/. */
export const FABRIC_PROGRAMS = ['peer', 'orderer', 'osnadmin', 'configtxgen', 'cryptogen'] as const;
/** Fabric CA programs. */
export const FABRIC_CA_PROGRAMS = ['fabric-ca-server', 'fabric-ca-client'] as const;
/** The CCaaS external builder's programs (Fabric's nested module ccaas_builder), as in a release's builders/ccaas/bin/. */
export const CCAAS_BUILDER_PROGRAMS = ['build', 'detect', 'release'] as const;
/** Config files a release ships in config/ (copies of Fabric's sampleconfig/). */
export const FABRIC_CONFIG_FILES = ['core.yaml', 'orderer.yaml', 'configtx.yaml'] as const;

/** The version stamp of a cached install, written last so a half build is never taken as complete. */
export const VERSION_STAMP = 'VERSION.json';

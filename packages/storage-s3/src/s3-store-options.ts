/** Options of the S3 store and how they are completed from the usual AWS environment variables. */
import { StoreError, VERIFY_EXISTING_UP_TO } from '@hyperprov/storage';

const MiB = 1024 * 1024;

/** Static credentials; omit them to use the AWS default chain (env vars, profile, SSO, IMDS, …). */
export interface S3Credentials {
    accessKeyId: string;
    secretAccessKey: string;
    sessionToken?: string;
}

export interface S3StoreOptions {
    bucket: string;
    /** Key prefix inside the bucket; every object of this store lives under `<prefix>/`. */
    prefix?: string;
    /** e.g. `http://127.0.0.1:9000` for MinIO. Default: `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL`, else AWS. */
    endpoint?: string;
    /** Default: `AWS_REGION`, `AWS_DEFAULT_REGION`, else `us-east-1`. */
    region?: string;
    /** Path-style URLs (`endpoint/bucket/key`). Default: true when an endpoint is set (MinIO and most S3-compatible servers need it). */
    forcePathStyle?: boolean;
    credentials?: S3Credentials;
    /**
     * Multipart part size in bytes (5 MiB … 5 GiB). Default 16 MiB × 3 in flight: with part buffers
     * reused across puts (part-buffers.ts) it kept a 2 GiB record under 200 MB RSS at 1.6–1.9 client
     * CPU-s/GiB (bench/data-path); 32 MiB × 2 only won while every put allocated fresh buffers.
     */
    partSize?: number;
    /** Parts uploaded at once per put. Memory per put is (queueSize + 1) × partSize (default 64 MiB). Default 3. */
    queueSize?: number;
    /** Attempts per request, with exponential backoff and jitter between them (SDK standard retry). Default 5. */
    maxAttempts?: number;
    /**
     * Multipart uploads under this store's prefix that were started longer ago than this are aborted
     * when the store is opened (leftovers of killed processes). Default 24 h; 0 disables.
     */
    staleUploadAgeMs?: number;
    /**
     * An object already stored under a put's content address is only trusted after a check: its
     * size always, and its bytes (read back and hashed) when it is at most this big. Default
     * 16 MiB: one GET of a small object is cheap; re-reading a multi-GiB one would cost about what
     * skipping its upload saved. 0 checks sizes only.
     */
    verifyExistingUpTo?: number;
}

/** Options with every default filled in and checked. */
export interface ResolvedS3StoreOptions {
    bucket: string;
    /** Normalised: no leading or trailing slash; empty for the bucket root. */
    prefix: string;
    endpoint: string | undefined;
    region: string;
    forcePathStyle: boolean;
    credentials: S3Credentials | undefined;
    partSize: number;
    queueSize: number;
    maxAttempts: number;
    staleUploadAgeMs: number;
    verifyExistingUpTo: number;
}

/** Fills defaults from `env` and validates; throws INVALID_ARGUMENT with what to fix. */
export function resolveS3StoreOptions(options: S3StoreOptions, env: NodeJS.ProcessEnv = process.env): ResolvedS3StoreOptions {
    const invalid = (message: string) => new StoreError('INVALID_ARGUMENT', message);
    if (!options.bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
        throw invalid(`"${options.bucket}" is not a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)`);
    }
    const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (prefix.split('/').some((part) => part === '.' || part === '..') || prefix.includes('//')) {
        throw invalid(`S3 prefix "${options.prefix}" must not contain empty, "." or ".." segments`);
    }
    const endpoint = options.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? undefined;
    if (endpoint !== undefined && !/^https?:\/\/[^/]+/.test(endpoint)) {
        throw invalid(`S3 endpoint "${endpoint}" must be an http(s) URL such as http://127.0.0.1:9000`);
    }
    const partSize = options.partSize ?? 16 * MiB;
    if (!Number.isInteger(partSize) || partSize < 5 * MiB || partSize > 5 * 1024 * MiB) {
        throw invalid(`partSize must be an integer between 5 MiB and 5 GiB, got ${partSize}`);
    }
    const queueSize = options.queueSize ?? 3;
    if (!Number.isInteger(queueSize) || queueSize < 1 || queueSize > 64) {
        throw invalid(`queueSize must be an integer between 1 and 64, got ${queueSize}`);
    }
    const maxAttempts = options.maxAttempts ?? 5;
    if (!Number.isInteger(maxAttempts) || maxAttempts < 1) throw invalid(`maxAttempts must be a positive integer`);
    const staleUploadAgeMs = options.staleUploadAgeMs ?? 24 * 60 * 60 * 1000;
    if (!(staleUploadAgeMs >= 0)) throw invalid(`staleUploadAgeMs must be >= 0`);
    const verifyExistingUpTo = options.verifyExistingUpTo ?? VERIFY_EXISTING_UP_TO;
    if (!(verifyExistingUpTo >= 0)) throw invalid(`verifyExistingUpTo must be >= 0`);
    return {
        bucket: options.bucket,
        prefix,
        endpoint,
        region: options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
        forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
        credentials: options.credentials,
        partSize,
        queueSize,
        maxAttempts,
        staleUploadAgeMs,
        verifyExistingUpTo,
    };
}

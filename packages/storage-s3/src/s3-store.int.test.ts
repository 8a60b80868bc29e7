import { PutObjectCommand } from '@aws-sdk/client-s3';
import { describeObjectStoreConformance } from '@hyperprov/storage/conformance';
import { inject } from 'vitest';
import { emptyPrefix, openTestStore, rawClient } from './testing/test-store.js';

const target = inject('s3');

function fixture(partSize?: number) {
    return async () => {
        const store = openTestStore(target, partSize !== undefined ? { partSize } : {});
        return {
            store,
            cleanup: async () => {
                const client = rawClient(target);
                try {
                    await emptyPrefix(client, target.bucket, `${store.prefix}/`);
                } finally {
                    client.destroy();
                }
            },
            // Overwritten with a raw PUT, as a stray writer with bucket access would.
            damage: async (pointer: string, bytes: Buffer) => {
                const client = rawClient(target);
                try {
                    await client.send(new PutObjectCommand({ Bucket: target.bucket, Key: `${store.prefix}/${pointer}`, Body: bytes }));
                } finally {
                    client.destroy();
                }
            },
        };
    };
}

// Default settings: bodies of the suite fit in one part (single PUT after the checksum is known).
describeObjectStoreConformance('s3 (MinIO)', fixture(), { timeout: 60_000 });
// 5 MiB parts (the S3 minimum): the suite's multi-MiB bodies go through the multipart part loop.
describeObjectStoreConformance('s3 (MinIO, multipart)', fixture(5 * 1024 * 1024), { timeout: 60_000, largeSize: 12 * 1024 * 1024 + 321 });

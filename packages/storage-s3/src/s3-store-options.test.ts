import { describe, expect, it } from 'vitest';
import { resolveS3StoreOptions } from './s3-store-options.js';

describe('resolveS3StoreOptions', () => {
    it('takes endpoint and region from the AWS environment variables and then defaults to path style', () => {
        const options = resolveS3StoreOptions(
            { bucket: 'models', prefix: '/team/run-1/' },
            { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9000', AWS_DEFAULT_REGION: 'eu-north-1' },
        );
        expect(options).toMatchObject({ bucket: 'models', prefix: 'team/run-1', endpoint: 'http://127.0.0.1:9000', region: 'eu-north-1', forcePathStyle: true });
    });

    it('prefers explicit options and uses virtual-host style on AWS', () => {
        const options = resolveS3StoreOptions({ bucket: 'models', region: 'us-west-2' }, { AWS_REGION: 'eu-west-1' });
        expect(options).toMatchObject({ region: 'us-west-2', endpoint: undefined, forcePathStyle: false, prefix: '' });
        expect(resolveS3StoreOptions({ bucket: 'models' }, {}).region).toBe('us-east-1');
    });

    it.each([
        [{ bucket: 'No_Such' }, /bucket name/],
        [{ bucket: 'models', prefix: 'a/../b' }, /prefix/],
        [{ bucket: 'models', endpoint: '127.0.0.1:9000' }, /http/],
        [{ bucket: 'models', partSize: 1024 }, /partSize/],
        [{ bucket: 'models', queueSize: 0 }, /queueSize/],
    ])('rejects %j', (options, message) => {
        expect(() => resolveS3StoreOptions(options, {})).toThrow(message);
    });
});

import { describe, expect, it } from 'vitest';
import { findEnclosingMount, parseMountinfo } from './mountinfo.js';

const SAMPLE = [
    '22 27 0:21 / /proc rw,relatime - proc proc rw',
    '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard',
    '42 27 0:39 / /tmp/x/mnt rw,nosuid,nodev,relatime shared:1 - fuse.sshfs root@127.0.0.1:/srv/data rw,user_id=0,group_id=0',
    '43 27 0:40 / /mnt/with\\040space rw - fuse.sshfs me@host:/a\\040b rw',
    'garbage line without separator',
    '',
].join('\n');

describe('parseMountinfo', () => {
    it('reads mountpoint, type and source, skipping optional fields and bad lines', () => {
        const entries = parseMountinfo(SAMPLE);
        expect(entries).toHaveLength(4);
        expect(entries[2]).toEqual({
            device: '0:39',
            mountpoint: '/tmp/x/mnt',
            fstype: 'fuse.sshfs',
            source: 'root@127.0.0.1:/srv/data',
        });
    });

    it('decodes octal escapes', () => {
        const entry = parseMountinfo(SAMPLE)[3]!;
        expect(entry.mountpoint).toBe('/mnt/with space');
        expect(entry.source).toBe('me@host:/a b');
    });
});

describe('findEnclosingMount', () => {
    const mounts = parseMountinfo(SAMPLE);

    it('finds the deepest mount holding a path', () => {
        expect(findEnclosingMount(mounts, '/tmp/x/mnt')?.fstype).toBe('fuse.sshfs');
        expect(findEnclosingMount(mounts, '/tmp/x/mnt/store/sub')?.mountpoint).toBe('/tmp/x/mnt');
    });

    it('does not treat a sibling with a common name prefix as inside', () => {
        expect(findEnclosingMount(mounts, '/tmp/x/mnt2')?.mountpoint).toBe('/');
        expect(findEnclosingMount(mounts, '/tmp/x')?.fstype).toBe('ext4');
    });

    it('prefers the later of two mounts on the same point (it hides the first)', () => {
        const stacked = parseMountinfo(`${SAMPLE}\n50 42 0:41 / /tmp/x/mnt rw - tmpfs tmpfs rw\n`);
        expect(findEnclosingMount(stacked, '/tmp/x/mnt/a')?.fstype).toBe('tmpfs');
    });
});

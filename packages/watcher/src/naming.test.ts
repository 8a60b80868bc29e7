import { describe, expect, it } from 'vitest';
import { datasetKey, dirKey, fileKey, isTempName, parseEpoch, stemOf } from './naming.js';

describe('names', () => {
    it('parses the epoch number: checkpoint-N, epochN, else the last number', () => {
        expect(parseEpoch('checkpoint-500')).toBe(500);
        expect(parseEpoch('resnet50-epoch_3')).toBe(3);
        expect(parseEpoch('ckpt-epoch12')).toBe(12);
        expect(parseEpoch('model_v2_007')).toBe(7);
        expect(parseEpoch('best')).toBeUndefined();
        expect(parseEpoch('t12345678901234567890')).toBeUndefined();
    });

    it('derives one key for the epochs of one model', () => {
        expect(fileKey(stemOf('ckpt-epoch3.pt', false), 'out')).toBe('models/ckpt');
        expect(fileKey(stemOf('ckpt-epoch4.pt', false), 'out')).toBe('models/ckpt');
        expect(fileKey(stemOf('resnet50_007.pth', false), 'out')).toBe('models/resnet50');
        expect(fileKey(stemOf('best.keras', false), 'out')).toBe('models/best');
        expect(fileKey(stemOf('3.pt', false), 'runs/out')).toBe('models/out');
        expect(dirKey('runs/hf-out/')).toBe('models/hf-out');
    });

    it('knows the temporary names of writers', () => {
        for (const name of ['epoch3.pt.tmp', '.epoch3.pt.swp', 'epoch3.pt.partial', '.tmp_save', 'epoch3.pt.tmp8a7f', 'x~']) expect(isTempName(name), name).toBe(true);
        for (const name of ['epoch3.pt', 'checkpoint-500', 'model.safetensors', 'template.h5']) expect(isTempName(name), name).toBe(false);
    });

    it('gives datasets the outbox default key', () => {
        expect(datasetKey('/p/data/train', '/p')).toBe('datasets/data/train');
        expect(datasetKey('/elsewhere/train', '/p')).toBe('datasets/train');
    });
});

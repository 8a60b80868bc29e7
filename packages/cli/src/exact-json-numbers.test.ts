import { describe, expect, it } from 'vitest';
import { inexactJsonNumber } from './exact-json-numbers.js';

describe('inexactJsonNumber', () => {
    it.each([
        '{"a":0.1,"b":1e2,"c":-5,"d":9007199254740991,"e":-9007199254740991,"f":1.0,"g":5e-324,"h":0,"i":0.0,"j":1.7976931348623157e308}',
        '[1.50,2.500e1,100e-2,-0.5]',
        '{"text":"-0 9007199254740993 1e400 \\" 0.30000000000000001"}',
        '{"9007199254740993":1}',
    ])('accepts %s', (text) => {
        expect(inexactJsonNumber(text)).toBeUndefined();
    });

    it.each([
        ['{"n":9007199254740993}', /9007199254740993 cannot be stored exactly: the nearest number is 9007199254740992/],
        ['{"n":9007199254740992}', /9007199254740992 cannot be stored exactly/],
        ['[-9007199254740992]', /-9007199254740992 cannot be stored exactly/],
        ['{"n":-0}', /-0 is -0, which is stored as 0/],
        ['{"n":-0.0e5}', /-0\.0e5 is -0/],
        ['{"n":0.30000000000000001}', /nearest number is 0\.3;/],
        ['{"n":3.141592653589793238}', /nearest number is 3\.141592653589793;/],
        ['{"n":1e-400}', /1e-400 cannot be stored exactly: the nearest number is 0;/],
        ['{"n":-1e-400}', /-1e-400 cannot be stored exactly: the nearest number is 0;/],
        ['{"n":1e400}', /1e400 is too large/],
        ['{"s":"\\"","n":[1,2,12345678901234567890]}', /12345678901234567890 cannot/],
    ])('refuses %s', (text, message) => {
        expect(inexactJsonNumber(text)).toMatch(message);
    });
});

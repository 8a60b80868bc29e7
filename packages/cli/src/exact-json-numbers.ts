/**
 * Number literals in JSON text that would not be stored as written. JSON.parse rounds every
 * number to the nearest double without a word: 9007199254740993 becomes ...992, 0.30000000000000001
 * becomes 0.3, 1e-400 becomes 0, 1e400 becomes Infinity, and -0 is written back as 0. Once parsed,
 * most of that cannot be seen any more, so `--meta` text is checked literal by literal first (the
 * contract then checks the parsed values, for every client).
 */

/** Describes the first number literal in `text` (valid JSON) that is not stored exactly, or undefined. */
export function inexactJsonNumber(text: string): string | undefined {
    const literal = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
    for (let i = 0; i < text.length; i++) {
        const c = text[i] as string;
        if (c === '"') {
            // Skip the string: digits inside it are text, not numbers.
            for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
            continue;
        }
        if (c !== '-' && (c < '0' || c > '9')) continue;
        literal.lastIndex = i;
        const match = literal.exec(text);
        if (!match) continue;
        const problem = literalProblem(match[0]);
        if (problem !== undefined) return problem;
        i += match[0].length - 1;
    }
    return undefined;
}

function literalProblem(literal: string): string | undefined {
    const value = Number(literal);
    if (!Number.isFinite(value)) return `the number ${literal} is too large to store (the largest is about 1.8e308); store it as a string`;
    if (Object.is(value, -0) && decimal(literal) === '0') return `the number ${literal} is -0, which is stored as 0; write 0, or store "-0" as a string`;
    const isInteger = /^-?[0-9]+$/.test(literal);
    if ((isInteger && !Number.isSafeInteger(value)) || decimal(literal) !== decimal(String(value))) {
        const nearest = Object.is(value, -0) ? '0' : String(value);
        return `the number ${literal} cannot be stored exactly: the nearest number is ${nearest}; write that, or store the exact value as a string`;
    }
    return undefined;
}

/** The exact decimal value of a number's text, as `<digits>e<exponent>` without a sign, or `0`. */
function decimal(text: string): string {
    const match = /^-?([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(text);
    if (!match) return text;
    const fraction = match[2] ?? '';
    let digits = `${match[1]}${fraction}`.replace(/^0+/, '');
    if (digits === '') return '0';
    let exponent = Number(match[3] ?? 0) - fraction.length;
    const trailing = /0*$/.exec(digits)?.[0].length ?? 0;
    digits = digits.slice(0, digits.length - trailing);
    exponent += trailing;
    return `${digits}e${exponent}`;
}

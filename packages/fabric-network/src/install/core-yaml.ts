/**
 * The one edit HyperProv makes to Fabric's sample core.yaml: `vm.endpoint: ""`. Fabric 2.5 ignores
 * an empty CORE_VM_ENDPOINT (its viper does not allow empty env values), so with the sample's
 * docker socket left in, the peer registers a Docker health check and /healthz stays 503 on a
 * machine without Docker. The edit is anchored to the `endpoint` key directly under the top-level
 * `vm:` section and checked afterwards: exactly that line changed, and it now reads empty.
 */

/** Returns `text` with `vm.endpoint` set to `""` (unchanged if it already is). Throws if the key is not where expected. */
export function blankVmEndpoint(text: string): string {
    const lines = text.split('\n');
    const index = vmEndpointLine(lines);
    if (index === undefined) throw new Error('core.yaml has no `endpoint:` key directly under a top-level `vm:` section');
    const line = lines[index] as string;
    const indent = /^\s*/.exec(line)?.[0] ?? '';
    lines[index] = `${indent}endpoint: ""`;
    const edited = lines.join('\n');
    // Verify: one line differs at most, and reading the key back gives the empty value.
    const before = text.split('\n');
    const changed = lines.filter((l, n) => l !== before[n]).length;
    if (changed > 1 || lines.length !== before.length || readVmEndpoint(edited) !== '') {
        throw new Error('blanking vm.endpoint in core.yaml changed more than that one line');
    }
    return edited;
}

/** The value of `vm.endpoint` as written (quotes removed), or undefined when the key is absent. */
export function readVmEndpoint(text: string): string | undefined {
    const lines = text.split('\n');
    const index = vmEndpointLine(lines);
    if (index === undefined) return undefined;
    const value = (lines[index] as string).replace(/^\s*endpoint:\s*/, '').replace(/\s+#.*$/, '').trim();
    return value.replace(/^"(.*)"$/, '$1').replace(/^'(.*)'$/, '$1');
}

/** Index of the `endpoint:` line at the first child indentation of the top-level `vm:` block. */
function vmEndpointLine(lines: readonly string[]): number | undefined {
    const start = lines.findIndex((l) => /^vm:\s*(#.*)?$/.test(l));
    if (start < 0) return undefined;
    let childIndent: string | undefined;
    for (let n = start + 1; n < lines.length; n++) {
        const line = lines[n] as string;
        if (/^\s*(#.*)?$/.test(line)) continue;
        if (/^\S/.test(line)) return undefined; // the next top-level section: no endpoint in vm
        const indent = /^\s*/.exec(line)?.[0] ?? '';
        childIndent ??= indent;
        if (indent === childIndent && /^\s*endpoint:/.test(line)) return n;
    }
    return undefined;
}

import type { CommandSpec } from '../command-spec.js';
import { TrackerError } from '@hyperprov/errors';
import { runCommand, type CliContext, type GlobalArgs } from '../context.js';

interface EnrollArgs extends GlobalArgs {
    user: string;
    secret?: string;
    ca?: string;
    registrar?: string;
    attr: string[];
}

/**
 * `hyperprov enroll --user U [--attr k=v]… [--ca URL] [--secret S] [--registrar id:secret]`:
 * registers and enrolls a user with the Fabric CA and makes it the project's identity.
 */
export function enrollCommand(ctx: CliContext): CommandSpec<EnrollArgs> {
    return {
        command: 'enroll',
        describe: "Register and enroll a user with the Fabric CA of the project's organisation; records are then signed by it",
        options: {
            user: { type: 'string', demandOption: true, describe: 'enrollment id of the user (its certificate common name)' },
            attr: { type: 'string', array: true, default: [], describe: 'name=value attribute to put in the certificate, readable by the contract; repeatable' },
            ca: { type: 'string', describe: "URL of the Fabric CA (default the CA of the project's organisation in its connection file)" },
            secret: { type: 'string', describe: 'the secret of an already registered user: enroll it without registering' },
            registrar: { type: 'string', describe: 'id:secret of the registrar (default the one the connection file names)' },
        },
        handler: (argv) =>
            runCommand(ctx, argv, async (out) => {
                const attributes = argv.attr.map(parseAttribute);
                const registrar = argv.registrar === undefined ? undefined : parseRegistrar(argv.registrar);
                const { enrollIdentity } = await import('@hyperprov/tracker');
                const result = await enrollIdentity({
                    dir: argv.dir ?? ctx.cwd,
                    user: argv.user,
                    attributes,
                    ...(argv.secret !== undefined && { secret: argv.secret }),
                    ...(argv.ca !== undefined && { ca: argv.ca }),
                    ...(registrar && { registrar }),
                });
                out.result(
                    {
                        user: result.user,
                        mspId: result.mspId,
                        subject: result.subject,
                        registered: result.registered,
                        identityDir: result.identityDir,
                        attributes: [...result.attributes],
                    },
                    () =>
                        [
                            `${result.registered ? 'registered and enrolled' : 'enrolled'} ${result.user} (${result.mspId})`,
                            `subject   ${result.subject}`,
                            ...(result.attributes.length > 0 ? [`attrs     ${result.attributes.map((a) => `${a.name}=${a.value}`).join(', ')}`] : []),
                            `identity  ${result.identityDir} (records are now signed by ${result.user})`,
                        ].join('\n'),
                );
            }),
    };
}

function parseAttribute(text: string): { name: string; value: string } {
    const at = text.indexOf('=');
    if (at <= 0) throw new TrackerError('INVALID_ARGUMENT', `--attr ${JSON.stringify(text)} is not name=value; write e.g. --attr role=auditor`);
    return { name: text.slice(0, at), value: text.slice(at + 1) };
}

function parseRegistrar(text: string): { enrollId: string; enrollSecret: string } {
    const at = text.indexOf(':');
    if (at <= 0 || at === text.length - 1) throw new TrackerError('INVALID_ARGUMENT', `--registrar must be <id>:<secret>, e.g. --registrar admin:adminpw`);
    return { enrollId: text.slice(0, at), enrollSecret: text.slice(at + 1) };
}

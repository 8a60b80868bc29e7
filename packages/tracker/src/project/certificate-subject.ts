import { X509Certificate } from 'node:crypto';

/** A certificate's subject on one line (`C=US, O=…, CN=User1@org1.example.com`), as status and enroll print it. */
export function certificateSubject(certificatePem: string): string {
    return new X509Certificate(certificatePem).subject.replaceAll('\n', ', ');
}

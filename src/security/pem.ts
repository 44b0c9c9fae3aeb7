/**
 * PEM text → blocks, shared by the broker's TLS material (tls-config.ts) and the client's
 * (client/security.ts). Pure: no I/O.
 */

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * The PEM blocks of `text`. A value given inline on one line (Kafka accepts
 * `-----BEGIN CERTIFICATE----- MIID... -----END CERTIFICATE-----`) is re-wrapped, since OpenSSL
 * needs the line breaks; blocks with headers (legacy encrypted keys) are kept as they are.
 */
export function pemBlocks(text: string): Array<{ label: string; pem: string }> {
  return [...text.matchAll(PEM_BLOCK)].map((m) => {
    const label = m[1]!;
    const body = m[0].slice(`-----BEGIN ${label}-----`.length, m[0].length - `-----END ${label}-----`.length);
    if (body.includes(':')) return { label, pem: m[0] };
    const b64 = body.replace(/\s+/g, '');
    return { label, pem: `-----BEGIN ${label}-----\n${(b64.match(/.{1,64}/g) ?? []).join('\n')}\n-----END ${label}-----\n` };
  });
}

/** The certificates of a PEM text, joined; '' when there is none. */
export function pemCertificates(text: string): string {
  return pemBlocks(text)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => b.pem)
    .join('\n');
}

/** The private keys of a PEM text (`-----BEGIN ... PRIVATE KEY-----`). */
export function pemPrivateKeys(text: string): string[] {
  return pemBlocks(text)
    .filter((b) => b.label.endsWith('PRIVATE KEY'))
    .map((b) => b.pem);
}

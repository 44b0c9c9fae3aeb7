/** The version the tools report (keep in step with package.json). */
export const SAMSA_VERSION = '0.1.0';

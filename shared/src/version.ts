/** Turnpike's version; a test keeps it equal to the root package.json's. */
export const TURNPIKE_VERSION = '0.1.0';

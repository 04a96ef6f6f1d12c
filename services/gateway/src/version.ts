/** Wharf's own version, and the App Registry API versions it answers as. */
export const WHARF_VERSION = '0.1.0';
export const APPR_API_VERSION = '0.7.4';
export const CNR_API_VERSION = '0.2.7';

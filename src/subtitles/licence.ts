/**
 * The licence viewers accept when they submit a translation (config `subtitleLicence`, an SPDX id;
 * default CC-BY-4.0), with the name and link the form shows. A few common ids are known; for any
 * other the id is the name and `subtitleLicenceUrl` the link (none when unset).
 */
export interface LicenceInfo {
  id: string;
  name: string;
  /** Where the licence text is; null when fjord does not know it and none was configured. */
  url: string | null;
}

const KNOWN: Record<string, { name: string; url: string }> = {
  'CC-BY-4.0': {
    name: 'Creative Commons Attribution 4.0 (CC BY 4.0)',
    url: 'https://creativecommons.org/licenses/by/4.0/',
  },
  'CC-BY-SA-4.0': {
    name: 'Creative Commons Attribution-ShareAlike 4.0 (CC BY-SA 4.0)',
    url: 'https://creativecommons.org/licenses/by-sa/4.0/',
  },
  'CC0-1.0': {
    name: 'Creative Commons Zero 1.0 (CC0 1.0)',
    url: 'https://creativecommons.org/publicdomain/zero/1.0/',
  },
};

/** SPDX-style ids: letters, digits, `.`, `-`, `+`. */
export const LICENCE_ID = /^[A-Za-z0-9][A-Za-z0-9.+-]{0,63}$/;

export function licenceInfo(id: string, url: string | null = null): LicenceInfo {
  const known = KNOWN[id];
  return { id, name: known?.name ?? id, url: url ?? known?.url ?? null };
}

/** The short form shown beside a credit ("CC BY 4.0"). */
export function licenceShort(id: string): string {
  const m = /^CC-(BY(?:-SA|-NC|-ND|-NC-SA|-NC-ND)?)-(\d\.\d)$/.exec(id);
  if (m) return `CC ${m[1]} ${m[2]}`;
  if (id === 'CC0-1.0') return 'CC0 1.0';
  return id;
}

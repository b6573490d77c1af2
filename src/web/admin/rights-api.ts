/**
 * The rights register over the admin API (issue 14), read-only: a party's monthly report
 * (src/reports, the same figures as `fjord report`) and its contracts. Editors and admins may ask
 * for any party; a `rights-holder` account only for its own (src/auth/roles.ts), and another
 * party's answers 404 as if it did not exist, so an account cannot even learn which parties exist.
 */
import { CatalogError, coverageLabel, type Catalog, type Party } from '../../catalog/index.js';
import type { Session } from '../../auth/accounts.js';
import { amount, partyReport } from '../../reports/party-report.js';
import type { TableRow } from '../../reports/csv.js';
import { BadRequest, NotFound } from '../../reports/newsroom.js';

/** The party the request may see: `?party=` (editors, admins), or a rights holder's own. */
async function partyFor(catalog: Catalog, q: URLSearchParams, s: Session): Promise<Party> {
  const name = q.get('party');
  if (s.user.role === 'rights-holder') {
    const own = s.user.partyId === null ? null : await catalog.contracts.getPartyById(s.user.partyId);
    if (own === null) throw new NotFound('this account has no party');
    if (name !== null && name.trim().toLowerCase() !== own.name.toLowerCase())
      throw new NotFound(`no party "${name}"`);
    return own;
  }
  if (name === null) throw new BadRequest('give ?party=NAME');
  const p = await catalog.contracts.getParty(name);
  if (p === null) throw new NotFound(`no party "${name}"`);
  return p;
}

export async function rightsReport(catalog: Catalog, timeZone: string, q: URLSearchParams, s: Session) {
  const party = await partyFor(catalog, q, s);
  const month = q.get('month');
  if (month === null) throw new BadRequest('give ?month=YYYY-MM');
  try {
    const r = await partyReport(catalog, party.name, month, timeZone);
    const works: TableRow[] = r.works.map((w) => ({
      work: w.work,
      title: w.title,
      completed_downloads: w.completedDownloads,
      browser_plays: w.browserPlays,
      bytes_delivered: w.bytesDelivered,
      web_seed_bytes: w.webSeedBytes,
      amount_owed: amount(w.owedMicros),
    }));
    return { body: r as unknown as Record<string, unknown>, tables: { works } };
  } catch (e) {
    if (e instanceof CatalogError && e.code === 'invalid-input') throw new BadRequest(e.message);
    throw e;
  }
}

export async function rightsContracts(catalog: Catalog, q: URLSearchParams, s: Session) {
  const party = await partyFor(catalog, q, s);
  const contracts = (await catalog.contracts.listContracts({ partyId: party.id })).map((k) => ({
    id: k.id,
    party: k.partyName,
    status: k.status,
    from: k.validFrom.toISOString(),
    until: k.validUntil?.toISOString() ?? null,
    covers: k.coverage.map(coverageLabel).join(', '),
    compensation: k.compensation,
    amount: k.amountMicros === null ? null : amount(k.amountMicros),
    currency: k.currency,
    reference: k.reference,
  }));
  return { body: { party: party.name, contracts }, tables: { contracts } };
}

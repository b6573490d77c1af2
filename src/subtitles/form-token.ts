/**
 * The contribute form's token: proof that a submission was made from a form this site drew, for
 * browsers that do not send Sec-Fetch-Site. Without it such a browser's post from this site's own
 * form and one from an attacker's sandboxed page look the same: both say `Origin: null` (the site's
 * pages are sent with `Referrer-Policy: no-referrer`), and there is no cookie to tie them to.
 *
 * Layout (ASCII, in a hidden form field):  <issued: Unix seconds, decimal>.<MAC: 22 base64url chars>
 * MAC = the first 16 bytes of HMAC-SHA-256(key, "subtitle-form" | episode id | issued | range), where
 * range is the submitter's address range (IPv4 /24, IPv6 /48: see rangeKey). The key is random per
 * process, so a restart voids open forms (the refusal draws a fresh form). Binding the range means a
 * token an attacker's server fetched for itself is worthless from its victims' browsers; a range, not
 * the address, so a phone moving between addresses of its network keeps its form.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** How long a drawn form can be submitted (seconds): a long evening with the form open. */
export const FORM_TOKEN_TTL_SECONDS = 12 * 3600;
/** Clock skew tolerated for a token issued "in the future" (another process's clock). */
const SKEW_SECONDS = 60;

export class FormTokens {
  private readonly key: Buffer;

  constructor(
    private readonly clock: () => number = Date.now,
    key: Buffer = randomBytes(32),
  ) {
    this.key = key;
  }

  private mac(episodeId: number, issued: number, range: string): Buffer {
    return createHmac('sha256', this.key)
      .update(`subtitle-form|${episodeId}|${issued}|${range}`)
      .digest()
      .subarray(0, 16);
  }

  /** A token for the form of `episodeId` drawn for a viewer in `range`. */
  issue(episodeId: number, range: string): string {
    const issued = Math.floor(this.clock() / 1000);
    return `${issued}.${this.mac(episodeId, issued, range).toString('base64url')}`;
  }

  /** Whether `token` was issued by this process for this episode and range, and has not expired. */
  check(token: string | undefined, episodeId: number, range: string): boolean {
    const m = token === undefined ? null : /^(\d{1,12})\.([A-Za-z0-9_-]{22})$/.exec(token);
    if (m === null) return false;
    const issued = Number(m[1]);
    const now = Math.floor(this.clock() / 1000);
    if (issued > now + SKEW_SECONDS || now - issued > FORM_TOKEN_TTL_SECONDS) return false;
    const given = Buffer.from(m[2], 'base64url');
    return given.length === 16 && timingSafeEqual(given, this.mac(episodeId, issued, range));
  }
}

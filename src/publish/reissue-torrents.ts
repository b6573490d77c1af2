/**
 * Reissuing the catalog's .torrent files with the public addresses now configured (trackers and the
 * web seed), for `fjord torrent reissue` (src/cli/reissue.ts) and the dashboard's catalogue, which
 * offers it whenever a torrent carries other addresses (after `publicTrackerUrls` or `publicWebUrl`
 * changed). The info dictionary is copied byte for byte (reissue.ts), so info hashes, swarms and
 * statistics stay; each rewrite is checked against the catalog's hash before it replaces the file
 * (written beside it, then renamed), and audited.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalog, Episode } from '../catalog/index.js';
import { checkRelativePath } from '../catalog/validate.js';
import { webSeedUrl } from './media-store.js';
import { addressesOf, infoHashV1, reissue, type Addresses } from './reissue.js';

export interface PublicAddresses {
  dataDir: string;
  publicTrackerUrls: string[];
  publicWebUrl: string;
}

export interface Reissued {
  path: string;
  was: Addresses;
  to: Addresses;
}

/**
 * Rewrites (or with `dryRun`, only lists) every torrent of `episodes` whose addresses differ from
 * `s`'s; `actor` is audited with each rewrite, `report` hears of each as it is done. Throws, leaving
 * that file as it was, when a rewrite would change an info hash.
 */
export async function reissueTorrents(
  catalog: Catalog,
  s: PublicAddresses,
  episodes: Episode[],
  o: {
    dryRun: boolean;
    actor: string;
    report?: (r: Reissued) => void;
    /** Given: a .torrent file that cannot be read is skipped and named here instead of thrown. */
    onUnreadable?: (path: string, err: unknown) => void;
  },
): Promise<Reissued[]> {
  const out: Reissued[] = [];
  for (const e of episodes)
    for (const t of e.torrents) {
      const path = join(s.dataDir, checkRelativePath(t.path, 'torrent'));
      let before: Buffer;
      try {
        before = await readFile(path);
      } catch (err) {
        if (!o.onUnreadable) throw err;
        o.onUnreadable(t.path, err);
        continue;
      }
      const to = { trackers: s.publicTrackerUrls, webSeeds: [webSeedUrl(s.publicWebUrl, e.seriesSlug)] };
      const after = reissue(before, to);
      if (after.equals(before)) continue;
      // Belt and braces: the bytes that name the swarm must be the catalog's.
      if (t.infoHashV1 !== null && infoHashV1(after) !== t.infoHashV1)
        throw new Error(`${t.path}: the rewritten torrent has another info hash; left as it was`);
      const r = { path: t.path, was: addressesOf(before), to };
      out.push(r);
      if (o.dryRun) {
        o.report?.(r);
        continue;
      }
      const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
      await writeFile(tmp, after, { flag: 'wx' });
      await rename(tmp, path);
      await catalog.recordTorrentReissue(
        t.id,
        after.length,
        { path: t.path, before: { ...r.was }, after: { ...to } },
        o.actor,
      );
      o.report?.(r);
    }
  return out;
}

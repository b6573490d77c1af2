/**
 * The catalog: series, episodes, their rights and files, on SQLite or PostgreSQL through one API.
 *
 * Writes: each public write method is one transaction that first bumps the catalog_state counter
 * (which also serializes writers on PostgreSQL, where it is a row lock), then does its work, then
 * appends an audit event. Reads need no transaction.
 *
 * Time: the API speaks `Date`; the database holds UTC epoch milliseconds. "Now" comes from the
 * `clock` option (tests pin it), and the time-dependent reads also take an explicit `now`.
 */
import { sql } from 'kysely';
import { openBackend, uniqueViolation, type Backend, type CatalogLocation, type Db } from './backend.js';
import { CatalogError } from './errors.js';
import { isTrackerHash, truncateV2 } from './info-hash.js';
import { migrate } from './migrate.js';
import { migrations } from './migrations/index.js';
import { auditEvent, writeCatalog } from './write-rule.js';
import { ContractStore, contractEdges, loadContractSpans } from './contracts.js';
import { firstVisibleAt, isDistributable, wasWithdrawnOrExpired } from './rights-window.js';
import type {
  CatalogEvent,
  DeletedEpisode,
  DistributableHashes,
  Episode,
  EpisodeEdit,
  Json,
  MediaCodecs,
  MediaRole,
  PublishEpisodeInput,
  Rights,
  RightsCalendarEntry,
  RightsWindow,
  Series,
  SeriesArtworkKind,
  SeriesEdit,
  SeriesInput,
  SubtitleFormat,
  SubtitleKind,
  SubtitleStatus,
  TorrentMode,
} from './types.js';
import {
  checkPublish,
  checkRights,
  checkSeries,
  optionalText,
  positiveInteger,
  text,
  validDate,
} from './validate.js';

export type OpenCatalogOptions = CatalogLocation & {
  /** Where "now" comes from for writes and default reads; tests pass a fixed clock. */
  clock?: () => Date;
};

export interface Catalog {
  readonly dialect: 'sqlite' | 'postgres';
  /**
   * The database itself, for fjord's modules that keep their own tables in it (statistics, accounts:
   * migration 002). They write through `backend.write`, never through a second connection.
   */
  readonly backend: Backend;
  /** Parties, contracts and cue sheets (issue 14): what decides distribution besides `rights`. */
  readonly contracts: ContractStore;

  upsertSeries(input: SeriesInput, actor?: string): Promise<Series>;
  getSeriesBySlug(slug: string): Promise<Series | null>;
  listSeries(): Promise<Series[]>;

  /** One transaction: series (if new), season (if new), episode, rights, files, torrent, audit event. */
  publishEpisode(input: PublishEpisodeInput): Promise<Episode>;
  /** Changes the title only: torrents (and so info hashes) are never touched. */
  renameEpisode(id: number, title: string, actor?: string): Promise<Episode>;
  /** Replaces an episode's rights (a new window, clearance arriving late, new holders). */
  setRights(id: number, rights: Rights, actor: string): Promise<Episode>;
  /** Changes title, description and credits, audited; torrents (and so info hashes) are never touched. */
  editEpisode(id: number, changes: EpisodeEdit, actor: string): Promise<Episode>;
  /** Changes a series' title and description, audited; its slug stays. */
  editSeries(slug: string, changes: SeriesEdit, actor: string): Promise<Series>;
  /** Sets (a path relative to the data directory) or clears (null) a series' poster or banner, audited. */
  setSeriesArtwork(
    slug: string,
    kind: SeriesArtworkKind,
    path: string | null,
    actor: string,
  ): Promise<Series>;
  /** Sets or clears an episode's still image, audited. */
  setEpisodeStill(id: number, path: string | null, actor: string): Promise<Episode>;
  /** Whether a series poster or banner, or an episode still, is this artwork file (DATA-relative). */
  artworkInUse(path: string): Promise<boolean>;
  /** Whether a scheduled episode is announced ("available from") before its window opens, audited. */
  setEpisodeAnnounce(id: number, announce: boolean, actor: string): Promise<Episode>;
  /**
   * Full-text search of series and episode titles and descriptions (SQLite FTS5, PostgreSQL text
   * search; migration 009): every word of `query` must match, as a word or its beginning. Ids of
   * matching series and episodes, best first, at most `limit` of each. Whether an episode may be shown
   * is the caller's to decide.
   */
  search(query: string, limit?: number): Promise<{ series: number[]; episodes: number[] }>;
  /**
   * Undoes an unpublish: distributed again as its rights allow (now, later, or not at all when not
   * cleared or its window has closed). Restoring an episode that is not withdrawn changes nothing.
   */
  restoreEpisode(id: number, actor: string): Promise<Episode>;
  /**
   * Removes an episode that was never distributed (never cleared, scheduled and not yet open, or
   * withdrawn before its window opened) with its rows, freeing its number; refused ('distributed')
   * for one that ever was, whose info hash peers may still hold. The files are the caller's to remove.
   */
  deleteEpisode(id: number, actor: string): Promise<DeletedEpisode>;
  /**
   * Records that a torrent file was rewritten with new addresses (`fjord torrent reissue`): its new
   * size, audited with the old and new addresses. The info hashes cannot change and are not touched.
   */
  recordTorrentReissue(torrentId: number, sizeBytes: number, details: Json, actor: string): Promise<void>;
  /** Withdraws an episode from distribution; nothing is deleted. Unpublishing twice changes nothing. */
  unpublishEpisode(seriesSlug: string, season: number, episode: number, actor: string): Promise<Episode>;

  getEpisode(seriesSlug: string, season: number, episode: number): Promise<Episode | null>;
  getEpisodeById(id: number): Promise<Episode | null>;
  listEpisodes(filter?: { seriesSlug?: string }): Promise<Episode[]>;
  /** By a v1 hash, a full v2 hash, or a v2 hash truncated to 20 bytes (as announced), in hex. */
  episodeByInfoHash(hex: string): Promise<Episode | null>;

  /** The tracker's allowed list and its "no longer available" list at `now`. */
  distributableInfoHashes(now?: Date): Promise<DistributableHashes>;
  /** When the allowed list next changes by the clock alone (a window opening or closing), or null. */
  nextRightsChange(now?: Date): Promise<Date | null>;
  /** Windows opening or closing in [from, to), in time order. */
  rightsCalendar(from: Date, to: Date): Promise<RightsCalendarEntry[]>;
  /**
   * An opaque value that differs whenever what the catalog distributes may have changed: after any
   * write, and when `now` passes a window's edge. Cheap enough to poll every second.
   */
  catalogVersion(now?: Date): Promise<string>;

  listEvents(filter?: { subject?: string; limit?: number }): Promise<CatalogEvent[]>;
  close(): Promise<void>;
}

export async function openCatalog(options: OpenCatalogOptions): Promise<Catalog> {
  const clock = options.clock ?? (() => new Date());
  const backend = await openBackend(options);
  try {
    await migrate(backend, migrations, () => clock().getTime());
  } catch (err) {
    await backend.close();
    throw err;
  }
  return new SqlCatalog(backend, clock);
}

const ms = (d: Date): number => d.getTime();
const date = (n: number): Date => new Date(Number(n));
const dateOrNull = (n: number | null): Date | null => (n === null ? null : date(n));
const episodeSubject = (id: number): string => `episode:${id}`;
// Keeps `IN (…)` lists well under SQLite's and PostgreSQL's bound-parameter limits.
const CHUNK = 500;

class SqlCatalog implements Catalog {
  readonly dialect: 'sqlite' | 'postgres';
  readonly #backend: Backend;
  readonly #db: Db;
  readonly #clock: () => Date;
  readonly contracts: ContractStore;

  constructor(backend: Backend, clock: () => Date) {
    this.#backend = backend;
    this.#db = backend.db;
    this.#clock = clock;
    this.dialect = backend.dialect;
    this.contracts = new ContractStore(backend, clock);
  }

  get backend(): Backend {
    return this.#backend;
  }

  close(): Promise<void> {
    return this.#backend.close();
  }

  /** The write path every public write goes through: see the file comment. */
  async #write<T>(fn: (trx: Db, now: number) => Promise<T>): Promise<T> {
    const now = ms(this.#clock());
    return writeCatalog(this.#backend, (trx) => fn(trx, now));
  }

  async #event(
    trx: Db,
    at: number,
    actor: string,
    action: string,
    subject: string,
    details: Json,
  ): Promise<void> {
    await auditEvent(trx, { at, actor, action, subject, details });
  }

  // ---- series ----

  async upsertSeries(input: SeriesInput, actor = 'system'): Promise<Series> {
    const s = checkSeries(input);
    const who = text(actor, 'actor');
    await this.#write(async (trx, now) => {
      await trx
        .insertInto('series')
        .values({ slug: s.slug, title: s.title, description: s.description, created_at: now })
        .onConflict((oc) =>
          oc
            .column('slug')
            // An absent description keeps the one on record rather than erasing it.
            .doUpdateSet(
              s.description === null ? { title: s.title } : { title: s.title, description: s.description },
            ),
        )
        .execute();
      await this.#event(trx, now, who, 'series.upsert', `series:${s.slug}`, {
        title: s.title,
        description: s.description,
      });
    });
    const series = await this.getSeriesBySlug(s.slug);
    if (series === null) throw new Error(`series ${s.slug} vanished after upsert`);
    return series;
  }

  async getSeriesBySlug(slug: string): Promise<Series | null> {
    const row = await this.#db.selectFrom('series').selectAll().where('slug', '=', slug).executeTakeFirst();
    return row === undefined ? null : toSeries(row);
  }

  async listSeries(): Promise<Series[]> {
    const rows = await this.#db.selectFrom('series').selectAll().orderBy('slug').execute();
    return rows.map(toSeries);
  }

  // ---- episodes: writes ----

  async publishEpisode(input: PublishEpisodeInput): Promise<Episode> {
    // Everything is checked before the transaction starts: bad input never reaches the database.
    const p = checkPublish(input);
    const label = `${p.series.slug} season ${p.season} episode ${p.episode}`;
    let id: number;
    try {
      id = await this.#write(async (trx, now) => {
        await trx
          .insertInto('series')
          .values({
            slug: p.series.slug,
            title: p.series.title,
            description: p.series.description,
            created_at: now,
          })
          .onConflict((oc) => oc.column('slug').doNothing())
          .execute();
        const series = await trx
          .selectFrom('series')
          .select('id')
          .where('slug', '=', p.series.slug)
          .executeTakeFirstOrThrow();
        const seriesId = Number(series.id);
        await trx
          .insertInto('seasons')
          .values({ series_id: seriesId, number: p.season, title: p.seasonTitle })
          .onConflict((oc) => oc.columns(['series_id', 'number']).doNothing())
          .execute();

        const publishedAt = firstVisibleAt(p.rights, null, date(now));
        const episode = await trx
          .insertInto('episodes')
          .values({
            series_id: seriesId,
            season_number: p.season,
            episode_number: p.episode,
            title: p.title,
            description: p.description,
            duration_seconds: p.durationSeconds,
            published_at: publishedAt === null ? null : ms(publishedAt),
            created_at: now,
            updated_at: now,
            withdrawn_at: null,
          })
          .returning('id')
          .executeTakeFirstOrThrow();
        const episodeId = Number(episode.id);

        await insertRights(trx, episodeId, p.rights);
        await trx
          .insertInto('media_files')
          .values(
            p.media.map((m) => ({
              episode_id: episodeId,
              role: m.role,
              path: m.path,
              size_bytes: m.sizeBytes,
              sha256: m.sha256,
              mime_type: m.mimeType,
              codecs: m.codecs === null ? null : JSON.stringify(m.codecs),
            })),
          )
          .execute();
        const t = p.torrent;
        await trx
          .insertInto('torrents')
          .values({
            episode_id: episodeId,
            info_hash_v1: t.infoHashV1,
            info_hash_v2: t.infoHashV2,
            info_hash_v2_truncated: t.infoHashV2 === null ? null : truncateV2(t.infoHashV2),
            info_hash_aria2: t.infoHashAria2,
            info_hash_v1_twin: t.infoHashV1Twin,
            path: t.path,
            size_bytes: t.sizeBytes,
            piece_length: t.pieceLength,
            mode: t.mode,
            created_at: now,
          })
          .execute();
        if (p.subtitles.length > 0) {
          await trx
            .insertInto('subtitle_files')
            .values(
              p.subtitles.map((s) => ({
                episode_id: episodeId,
                language: s.language,
                kind: s.kind,
                format: s.format,
                path: s.path,
                status: s.kind === 'community' ? 'pending' : null,
                created_at: now,
              })),
            )
            .execute();
        }
        await this.#event(trx, now, p.actor, 'episode.publish', episodeSubject(episodeId), {
          series: p.series.slug,
          season: p.season,
          episode: p.episode,
          title: p.title,
          infoHashV1: t.infoHashV1,
          infoHashV2: t.infoHashV2,
          clearedWorldwide: p.rights.clearedWorldwide,
          availableFrom: p.rights.availableFrom.toISOString(),
          availableUntil: p.rights.availableUntil?.toISOString() ?? null,
        });
        return episodeId;
      });
    } catch (err) {
      throw publishConflict(err, label, p.torrent) ?? err;
    }
    return this.#mustGet(id);
  }

  async renameEpisode(id: number, title: string, actor = 'system'): Promise<Episode> {
    const newTitle = text(title, 'episode title');
    const who = text(actor, 'actor');
    await this.#write(async (trx, now) => {
      const old = await trx.selectFrom('episodes').select('title').where('id', '=', id).executeTakeFirst();
      if (old === undefined) throw new CatalogError('not-found', `no episode with id ${id}`);
      await trx
        .updateTable('episodes')
        .set({ title: newTitle, updated_at: now })
        .where('id', '=', id)
        .execute();
      await this.#event(trx, now, who, 'episode.rename', episodeSubject(id), {
        from: old.title,
        to: newTitle,
      });
    });
    return this.#mustGet(id);
  }

  async editEpisode(id: number, changes: EpisodeEdit, actor: string): Promise<Episode> {
    const who = text(actor, 'actor');
    const { title, description } = checkTextEdit(changes, 'episode title');
    const credits = changes.credits?.map((c, i) => text(c, `credit ${i + 1}`));
    if (title === undefined && description === undefined && credits === undefined)
      throw new CatalogError('invalid-input', 'nothing to change: give a title, a description or credits');
    await this.#write(async (trx, now) => {
      const old = await trx
        .selectFrom('episodes')
        .select(['title', 'description'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (old === undefined) throw new CatalogError('not-found', `no episode with id ${id}`);
      const before: Record<string, Json> = {};
      const after: Record<string, Json> = {};
      const set: { title?: string; description?: string | null } = {};
      if (title !== undefined && title !== old.title) {
        set.title = title;
        [before.title, after.title] = [old.title, title];
      }
      if (description !== undefined && description !== old.description) {
        set.description = description;
        [before.description, after.description] = [old.description, description];
      }
      if (credits !== undefined) {
        const holders = await trx
          .selectFrom('rights_holders')
          .select('name')
          .where('episode_id', '=', id)
          .orderBy('position')
          .execute();
        const was = holders.map((h) => h.name);
        if (JSON.stringify(was) !== JSON.stringify(credits)) {
          await trx.deleteFrom('rights_holders').where('episode_id', '=', id).execute();
          if (credits.length > 0)
            await trx
              .insertInto('rights_holders')
              .values(credits.map((name, position) => ({ episode_id: id, position, name })))
              .execute();
          [before.credits, after.credits] = [was, credits];
        }
      }
      // Nothing different: no write, no event (the version bump alone is harmless).
      if (Object.keys(after).length === 0) return;
      await trx
        .updateTable('episodes')
        .set({ ...set, updated_at: now })
        .where('id', '=', id)
        .execute();
      await this.#event(trx, now, who, 'episode.edit', episodeSubject(id), { before, after });
    });
    return this.#mustGet(id);
  }

  async editSeries(slug: string, changes: SeriesEdit, actor: string): Promise<Series> {
    const who = text(actor, 'actor');
    const { title, description } = checkTextEdit(changes, 'series title');
    if (title === undefined && description === undefined)
      throw new CatalogError('invalid-input', 'nothing to change: give a title or a description');
    await this.#write(async (trx, now) => {
      const old = await trx
        .selectFrom('series')
        .select(['title', 'description'])
        .where('slug', '=', slug)
        .executeTakeFirst();
      if (old === undefined) throw new CatalogError('not-found', `no series "${slug}"`);
      const before: Record<string, Json> = {};
      const after: Record<string, Json> = {};
      if (title !== undefined && title !== old.title) [before.title, after.title] = [old.title, title];
      if (description !== undefined && description !== old.description)
        [before.description, after.description] = [old.description, description];
      if (Object.keys(after).length === 0) return;
      await trx
        .updateTable('series')
        .set({
          ...(after.title === undefined ? {} : { title }),
          ...(after.description === undefined ? {} : { description }),
        })
        .where('slug', '=', slug)
        .execute();
      await this.#event(trx, now, who, 'series.edit', `series:${slug}`, { before, after });
    });
    const series = await this.getSeriesBySlug(slug);
    if (series === null) throw new CatalogError('not-found', `no series "${slug}"`);
    return series;
  }

  async setSeriesArtwork(
    slug: string,
    kind: SeriesArtworkKind,
    path: string | null,
    actor: string,
  ): Promise<Series> {
    const who = text(actor, 'actor');
    if (kind !== 'poster' && kind !== 'banner')
      throw new CatalogError('invalid-input', `artwork must be poster or banner (got ${String(kind)})`);
    const value = path === null ? null : artworkPath(path);
    await this.#write(async (trx, now) => {
      const old = await trx.selectFrom('series').selectAll().where('slug', '=', slug).executeTakeFirst();
      if (old === undefined) throw new CatalogError('not-found', `no series "${slug}"`);
      const was = kind === 'poster' ? old.poster_path : old.banner_path;
      if (was === value) return;
      await trx
        .updateTable('series')
        .set(kind === 'poster' ? { poster_path: value } : { banner_path: value })
        .where('slug', '=', slug)
        .execute();
      await this.#event(trx, now, who, 'series.artwork', `series:${slug}`, { kind, from: was, to: value });
    });
    const series = await this.getSeriesBySlug(slug);
    if (series === null) throw new CatalogError('not-found', `no series "${slug}"`);
    return series;
  }

  /** Whether a series' poster or banner, or an episode's still, is this artwork file. */
  async artworkInUse(path: string): Promise<boolean> {
    const series = await this.#db
      .selectFrom('series')
      .select('id')
      .where((w) => w.or([w('poster_path', '=', path), w('banner_path', '=', path)]))
      .executeTakeFirst();
    if (series !== undefined) return true;
    const episode = await this.#db
      .selectFrom('episodes')
      .select('id')
      .where('still_path', '=', path)
      .executeTakeFirst();
    return episode !== undefined;
  }

  async setEpisodeStill(id: number, path: string | null, actor: string): Promise<Episode> {
    const who = text(actor, 'actor');
    const value = path === null ? null : artworkPath(path);
    await this.#write(async (trx, now) => {
      const old = await trx
        .selectFrom('episodes')
        .select('still_path')
        .where('id', '=', id)
        .executeTakeFirst();
      if (old === undefined) throw new CatalogError('not-found', `no episode with id ${id}`);
      if (old.still_path === value) return;
      await trx
        .updateTable('episodes')
        .set({ still_path: value, updated_at: now })
        .where('id', '=', id)
        .execute();
      await this.#event(trx, now, who, 'episode.still', episodeSubject(id), {
        from: old.still_path,
        to: value,
      });
    });
    return this.#mustGet(id);
  }

  async setEpisodeAnnounce(id: number, announce: boolean, actor: string): Promise<Episode> {
    const who = text(actor, 'actor');
    const value = announce ? 1 : 0;
    await this.#write(async (trx, now) => {
      const old = await trx.selectFrom('episodes').select('announce').where('id', '=', id).executeTakeFirst();
      if (old === undefined) throw new CatalogError('not-found', `no episode with id ${id}`);
      if (Number(old.announce) === value) return;
      await trx
        .updateTable('episodes')
        .set({ announce: value, updated_at: now })
        .where('id', '=', id)
        .execute();
      await this.#event(trx, now, who, 'episode.announce', episodeSubject(id), { announce });
    });
    return this.#mustGet(id);
  }

  async search(query: string, limit = 50): Promise<{ series: number[]; episodes: number[] }> {
    const words = searchWords(query);
    if (words.length === 0) return { series: [], episodes: [] };
    const n = Math.max(1, Math.min(200, Math.floor(limit)));
    if (this.backend.dialect === 'sqlite') {
      // Each word quoted (it has only letters and digits) and a prefix: "fyr"* "lista"*
      const match = words.map((w) => `"${w}"*`).join(' ');
      const ids = async (kind: string): Promise<number[]> => {
        const r = await sql<{ ref: number }>`SELECT ref FROM catalog_search
          WHERE catalog_search MATCH ${match} AND kind = ${kind} ORDER BY bm25(catalog_search, 0, 0, 4, 1) LIMIT ${n}`.execute(
          this.#db,
        );
        return r.rows.map((x) => Number(x.ref));
      };
      return { series: await ids('s'), episodes: await ids('e') };
    }
    const q = words.map((w) => `${w}:*`).join(' & ');
    const ids = async (table: 'series' | 'episodes'): Promise<number[]> => {
      const doc = sql`to_tsvector('simple', title || ' ' || coalesce(description, ''))`;
      const r = await sql<{ id: number }>`SELECT id FROM ${sql.table(table)}
        WHERE ${doc} @@ to_tsquery('simple', ${q})
        ORDER BY ts_rank(${doc}, to_tsquery('simple', ${q})) DESC, id LIMIT ${n}`.execute(this.#db);
      return r.rows.map((x) => Number(x.id));
    };
    return { series: await ids('series'), episodes: await ids('episodes') };
  }

  async restoreEpisode(id: number, actor: string): Promise<Episode> {
    const who = text(actor, 'actor');
    await this.#write(async (trx, now) => {
      const e = await episodeTimes(trx, id);
      if (e.withdrawn_at === null) return;
      const rights = (await loadRights(trx, [id])).get(id);
      if (rights === undefined) throw new Error(`episode ${id} has no rights row`);
      const publishedAt = nextPublishedAt(e.published_at, rights, null, now);
      await trx
        .updateTable('episodes')
        .set({ withdrawn_at: null, published_at: publishedAt, updated_at: now })
        .where('id', '=', id)
        .execute();
      await this.#event(trx, now, who, 'episode.restore', episodeSubject(id), {
        withdrawnAt: date(e.withdrawn_at).toISOString(),
      });
    });
    return this.#mustGet(id);
  }

  async deleteEpisode(id: number, actor: string): Promise<DeletedEpisode> {
    const who = text(actor, 'actor');
    const episode = await this.#mustGet(id);
    await this.#write(async (trx, now) => {
      const e = await trx
        .selectFrom('episodes')
        .select(['published_at'])
        .where('id', '=', id)
        .executeTakeFirst();
      if (e === undefined) throw new CatalogError('not-found', `no episode with id ${id}`);
      // published_at is set the first time an episode becomes distributable, and never moves once
      // passed: at or before now, peers may hold its torrent, so its hashes must stay known.
      if (e.published_at !== null && e.published_at <= now)
        throw new CatalogError(
          'distributed',
          `episode ${id} has been distributed (since ${date(e.published_at).toISOString()}): unpublish it instead`,
        );
      // Community submissions (migration 003) point at the episode and its subtitle rows.
      await sql`delete from subtitle_submissions where episode_id = ${id}`.execute(trx);
      for (const table of [
        'music_cues',
        'subtitle_files',
        'media_files',
        'torrents',
        'rights_holders',
        'episode_rights',
      ] as const)
        await trx.deleteFrom(table).where('episode_id', '=', id).execute();
      await trx.deleteFrom('episodes').where('id', '=', id).execute();
      await this.#event(trx, now, who, 'episode.delete', episodeSubject(id), {
        series: episode.seriesSlug,
        season: episode.season,
        episode: episode.episode,
        title: episode.title,
        infoHashV1: episode.torrents[0]?.infoHashV1 ?? null,
        infoHashV2: episode.torrents[0]?.infoHashV2 ?? null,
      });
    });
    const paths = [
      ...episode.media.map((m) => m.path),
      ...episode.subtitles.map((s) => s.path),
      ...episode.torrents.map((t) => t.path),
    ];
    return { episode, paths };
  }

  async recordTorrentReissue(
    torrentId: number,
    sizeBytes: number,
    details: Json,
    actor: string,
  ): Promise<void> {
    const who = text(actor, 'actor');
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0)
      throw new CatalogError(
        'invalid-number',
        `torrent size must be a whole number of bytes, not ${sizeBytes}`,
      );
    await this.#write(async (trx, now) => {
      const t = await trx
        .selectFrom('torrents')
        .select(['episode_id'])
        .where('id', '=', torrentId)
        .executeTakeFirst();
      if (t === undefined) throw new CatalogError('not-found', `no torrent with id ${torrentId}`);
      await trx.updateTable('torrents').set({ size_bytes: sizeBytes }).where('id', '=', torrentId).execute();
      await this.#event(trx, now, who, 'torrent.reissue', episodeSubject(Number(t.episode_id)), details);
    });
  }

  async setRights(id: number, rights: Rights, actor: string): Promise<Episode> {
    const r = checkRights(rights);
    const who = text(actor, 'actor');
    await this.#write(async (trx, now) => {
      const e = await episodeTimes(trx, id);
      const before = (await loadRights(trx, [id])).get(id);
      const publishedAt = nextPublishedAt(e.published_at, r, e.withdrawn_at, now);
      await trx.deleteFrom('rights_holders').where('episode_id', '=', id).execute();
      await trx.deleteFrom('episode_rights').where('episode_id', '=', id).execute();
      await insertRights(trx, id, r);
      await trx
        .updateTable('episodes')
        .set({ published_at: publishedAt, updated_at: now })
        .where('id', '=', id)
        .execute();
      // The old rights live on in the audit log: a rights change is exactly what one asks about later.
      await this.#event(trx, now, who, 'episode.rights', episodeSubject(id), {
        before: before === undefined ? null : rightsJson(before),
        after: rightsJson(r),
      });
    });
    return this.#mustGet(id);
  }

  async unpublishEpisode(
    seriesSlug: string,
    season: number,
    episode: number,
    actor: string,
  ): Promise<Episode> {
    positiveInteger(season, 'season');
    positiveInteger(episode, 'episode');
    const who = text(actor, 'actor');
    const id = await this.#write(async (trx, now) => {
      const e = await trx
        .selectFrom('episodes as e')
        .innerJoin('series as s', 's.id', 'e.series_id')
        .select(['e.id', 'e.withdrawn_at', 'e.published_at'])
        .where('s.slug', '=', seriesSlug)
        .where('e.season_number', '=', season)
        .where('e.episode_number', '=', episode)
        .executeTakeFirst();
      if (e === undefined) {
        throw new CatalogError('not-found', `no episode ${seriesSlug} season ${season} episode ${episode}`);
      }
      const episodeId = Number(e.id);
      if (e.withdrawn_at !== null) return episodeId;
      await trx
        .updateTable('episodes')
        .set({
          withdrawn_at: now,
          updated_at: now,
          // Withdrawn before its window opened: it never was published, so it will not be listed as
          // "no longer available" either.
          published_at: e.published_at !== null && e.published_at > now ? null : e.published_at,
        })
        .where('id', '=', episodeId)
        .execute();
      await this.#event(trx, now, who, 'episode.unpublish', episodeSubject(episodeId), {
        series: seriesSlug,
        season,
        episode,
      });
      return episodeId;
    });
    return this.#mustGet(id);
  }

  // ---- episodes: reads ----

  async getEpisode(seriesSlug: string, season: number, episode: number): Promise<Episode | null> {
    const [e] = await this.#load({ seriesSlug, season, episode });
    return e ?? null;
  }

  async getEpisodeById(id: number): Promise<Episode | null> {
    const [e] = await this.#load({ id });
    return e ?? null;
  }

  listEpisodes(filter: { seriesSlug?: string } = {}): Promise<Episode[]> {
    return this.#load(filter.seriesSlug === undefined ? {} : { seriesSlug: filter.seriesSlug });
  }

  async episodeByInfoHash(hex: string): Promise<Episode | null> {
    const h = hex.toLowerCase();
    let query = this.#db.selectFrom('torrents').select('episode_id');
    if (/^[0-9a-f]{64}$/.test(h)) query = query.where('info_hash_v2', '=', h);
    else if (isTrackerHash(h))
      query = query.where((eb) =>
        eb.or([
          eb('info_hash_v1', '=', h),
          eb('info_hash_v2_truncated', '=', h),
          eb('info_hash_aria2', '=', h),
          eb('info_hash_v1_twin', '=', h),
        ]),
      );
    else throw new CatalogError('invalid-info-hash', `bad info hash "${hex}": need 40 or 64 hex digits`);
    const row = await query.executeTakeFirst();
    return row === undefined ? null : this.getEpisodeById(Number(row.episode_id));
  }

  async #mustGet(id: number): Promise<Episode> {
    const e = await this.getEpisodeById(id);
    if (e === null) throw new CatalogError('not-found', `no episode with id ${id}`);
    return e;
  }

  async #load(f: {
    id?: number;
    seriesSlug?: string;
    season?: number;
    episode?: number;
  }): Promise<Episode[]> {
    let q = this.#db
      .selectFrom('episodes as e')
      .innerJoin('series as s', 's.id', 'e.series_id')
      .select([
        'e.id',
        'e.series_id',
        's.slug',
        's.title as series_title',
        'e.season_number',
        'e.episode_number',
        'e.title',
        'e.description',
        'e.duration_seconds',
        'e.published_at',
        'e.created_at',
        'e.updated_at',
        'e.withdrawn_at',
        'e.still_path',
        'e.announce',
      ]);
    if (f.id !== undefined) q = q.where('e.id', '=', f.id);
    if (f.seriesSlug !== undefined) q = q.where('s.slug', '=', f.seriesSlug);
    if (f.season !== undefined) q = q.where('e.season_number', '=', f.season);
    if (f.episode !== undefined) q = q.where('e.episode_number', '=', f.episode);
    const rows = await q.orderBy('s.slug').orderBy('e.season_number').orderBy('e.episode_number').execute();
    if (rows.length === 0) return [];

    const ids = rows.map((r) => Number(r.id));
    const [rights, media, torrents, subtitles, spans] = await Promise.all([
      loadRights(this.#db, ids),
      this.#children(ids, (chunk) =>
        this.#db
          .selectFrom('media_files')
          .selectAll()
          .where('episode_id', 'in', chunk)
          .orderBy('id')
          .execute(),
      ),
      this.#children(ids, (chunk) =>
        this.#db.selectFrom('torrents').selectAll().where('episode_id', 'in', chunk).orderBy('id').execute(),
      ),
      this.#children(ids, (chunk) =>
        this.#db
          .selectFrom('subtitle_files')
          .selectAll()
          .where('episode_id', 'in', chunk)
          .orderBy('id')
          .execute(),
      ),
      loadContractSpans(this.#db, rows.map(episodeKey)),
    ]);

    return rows.map((r): Episode => {
      const id = Number(r.id);
      const episodeRights = rights.get(id);
      if (episodeRights === undefined) throw new Error(`episode ${id} has no rights row`);
      const contractSpans = spans.get(id);
      if (contractSpans !== undefined) episodeRights.contractSpans = contractSpans;
      return {
        id,
        seriesId: Number(r.series_id),
        seriesSlug: r.slug,
        seriesTitle: r.series_title,
        season: r.season_number,
        episode: r.episode_number,
        title: r.title,
        description: r.description,
        durationSeconds: r.duration_seconds,
        publishedAt: dateOrNull(r.published_at),
        createdAt: date(r.created_at),
        updatedAt: date(r.updated_at),
        withdrawnAt: dateOrNull(r.withdrawn_at),
        stillPath: r.still_path,
        announce: Number(r.announce) === 1,
        rights: episodeRights,
        media: (media.get(id) ?? []).map((m) => ({
          id: Number(m.id),
          role: m.role as MediaRole,
          path: m.path,
          sizeBytes: Number(m.size_bytes),
          sha256: m.sha256,
          mimeType: m.mime_type,
          codecs: m.codecs === null ? null : (JSON.parse(m.codecs) as MediaCodecs),
        })),
        torrents: (torrents.get(id) ?? []).map((t) => ({
          id: Number(t.id),
          infoHashV1: t.info_hash_v1,
          infoHashV2: t.info_hash_v2,
          infoHashAria2: t.info_hash_aria2,
          infoHashV1Twin: t.info_hash_v1_twin,
          path: t.path,
          sizeBytes: Number(t.size_bytes),
          pieceLength: t.piece_length,
          mode: t.mode as TorrentMode,
          createdAt: date(t.created_at),
        })),
        subtitles: (subtitles.get(id) ?? []).map((s) => ({
          id: Number(s.id),
          language: s.language,
          kind: s.kind as SubtitleKind,
          format: s.format as SubtitleFormat,
          path: s.path,
          status: s.status as SubtitleStatus | null,
          createdAt: date(s.created_at),
        })),
      };
    });
  }

  /** Rows of a child table grouped by episode, fetched in chunks of ids. */
  async #children<R extends { episode_id: number }>(
    ids: number[],
    fetch: (chunk: number[]) => Promise<R[]>,
  ): Promise<Map<number, R[]>> {
    const out = new Map<number, R[]>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      for (const row of await fetch(ids.slice(i, i + CHUNK))) {
        const key = Number(row.episode_id);
        const list = out.get(key);
        if (list === undefined) out.set(key, [row]);
        else list.push(row);
      }
    }
    return out;
  }

  // ---- rights and distribution ----

  async distributableInfoHashes(now: Date = this.#clock()): Promise<DistributableHashes> {
    validDate(now, 'now');
    const rows = await this.#db
      .selectFrom('torrents as t')
      .innerJoin('episodes as e', 'e.id', 't.episode_id')
      .innerJoin('episode_rights as r', 'r.episode_id', 'e.id')
      .select([
        't.info_hash_v1',
        't.info_hash_v2_truncated',
        't.info_hash_aria2',
        't.info_hash_v1_twin',
        'e.id',
        'e.series_id',
        'e.season_number',
        'e.episode_number',
        'e.published_at',
        'e.withdrawn_at',
        'r.cleared_worldwide',
        'r.available_from',
        'r.available_until',
      ])
      // Never-published episodes (no clearance, or a window that closed before publication) can be
      // neither allowed nor withdrawn; firstVisibleAt guarantees they have no published_at.
      .where('e.published_at', 'is not', null)
      .orderBy('t.id')
      .execute();
    // The parties' contracts and cue sheets (clearance.ts), per episode.
    const spans = await loadContractSpans(this.#db, rows.map(episodeKey));
    const allowed: string[] = [];
    const withdrawn: string[] = [];
    for (const r of rows) {
      // The decision is rights-window.ts's, not SQL's, so there is one definition of "distributable".
      const window: RightsWindow = toWindow(r);
      const contractSpans = spans.get(Number(r.id));
      if (contractSpans !== undefined) window.contractSpans = contractSpans;
      const withdrawnAt = dateOrNull(r.withdrawn_at);
      const target = isDistributable(window, withdrawnAt, now)
        ? allowed
        : wasWithdrawnOrExpired(window, withdrawnAt, dateOrNull(r.published_at), now)
          ? withdrawn
          : null;
      if (target === null) continue;
      // Every 20-byte name a client may announce (see info-hash.ts): v1, v2 truncated per BEP 52,
      // and a hybrid torrent's aria2 alias and v1 twin.
      if (r.info_hash_v1 !== null) target.push(r.info_hash_v1);
      if (r.info_hash_v2_truncated !== null) target.push(r.info_hash_v2_truncated);
      if (r.info_hash_aria2 !== null) target.push(r.info_hash_aria2);
      if (r.info_hash_v1_twin !== null) target.push(r.info_hash_v1_twin);
    }
    return { allowed, withdrawn };
  }

  async nextRightsChange(now: Date = this.#clock()): Promise<Date | null> {
    const t = ms(validDate(now, 'now'));
    // Mirrors rights-window.ts's nextChange over all episodes, as three indexed MIN queries: only
    // cleared, not-yet-withdrawn episodes can change, at an edge after now.
    const base = () =>
      this.#db
        .selectFrom('episode_rights as r')
        .innerJoin('episodes as e', 'e.id', 'r.episode_id')
        .where('r.cleared_worldwide', '=', 1)
        .where((eb) => eb.or([eb('e.withdrawn_at', 'is', null), eb('e.withdrawn_at', '>', t)]));
    const [opens, closes, withdraws, contracts] = await Promise.all([
      base()
        .select((eb) => eb.fn.min('r.available_from').as('at'))
        .where('r.available_from', '>', t)
        .executeTakeFirst(),
      base()
        .select((eb) => eb.fn.min('r.available_until').as('at'))
        .where('r.available_until', '>', t)
        .executeTakeFirst(),
      base()
        .select((eb) => eb.fn.min('e.withdrawn_at').as('at'))
        .where('e.withdrawn_at', '>', t)
        .executeTakeFirst(),
      // Any contract's start or end may switch an episode (an over-estimate is only an extra read).
      contractEdges(this.#db, t),
    ]);
    const candidates = [opens?.at, closes?.at, withdraws?.at, contracts.next]
      .filter((x): x is number => x !== null && x !== undefined)
      .map(Number);
    return candidates.length === 0 ? null : date(Math.min(...candidates));
  }

  async rightsCalendar(from: Date, to: Date): Promise<RightsCalendarEntry[]> {
    const a = ms(validDate(from, 'from'));
    const b = ms(validDate(to, 'to'));
    const base = () =>
      this.#db
        .selectFrom('episode_rights as r')
        .innerJoin('episodes as e', 'e.id', 'r.episode_id')
        .innerJoin('series as s', 's.id', 'e.series_id')
        .select([
          'e.id',
          's.slug',
          'e.season_number',
          'e.episode_number',
          'e.title',
          'e.withdrawn_at',
          'r.cleared_worldwide',
          'r.available_from',
          'r.available_until',
        ]);
    const [opening, closing] = await Promise.all([
      base().where('r.available_from', '>=', a).where('r.available_from', '<', b).execute(),
      base().where('r.available_until', '>=', a).where('r.available_until', '<', b).execute(),
    ]);
    const entries: RightsCalendarEntry[] = [];
    const add = (r: (typeof opening)[number], change: 'opens' | 'closes', at: number) => {
      // An episode withdrawn before the edge will not go live or expire then: leave it out.
      if (r.withdrawn_at !== null && r.withdrawn_at <= at) return;
      entries.push({
        at: date(at),
        change,
        episodeId: Number(r.id),
        seriesSlug: r.slug,
        season: r.season_number,
        episode: r.episode_number,
        title: r.title,
        clearedWorldwide: r.cleared_worldwide === 1,
      });
    };
    for (const r of opening) add(r, 'opens', r.available_from);
    for (const r of closing) if (r.available_until !== null) add(r, 'closes', r.available_until);
    return entries.sort(
      (x, y) => ms(x.at) - ms(y.at) || x.episodeId - y.episodeId || x.change.localeCompare(y.change),
    );
  }

  async catalogVersion(now: Date = this.#clock()): Promise<string> {
    const t = ms(validDate(now, 'now'));
    // The write counter covers every change made through the API. Window edges change what is
    // distributable without any write, so the number of edges already passed is part of the value
    // too: it grows by one the moment `now` reaches an available_from or available_until.
    const row = await this.#db
      .selectFrom('catalog_state')
      .select((eb) => [
        'version',
        eb
          .selectFrom('episode_rights')
          .select(eb.fn.countAll<number>().as('n'))
          .where('available_from', '<=', t)
          .as('opened'),
        eb
          .selectFrom('episode_rights')
          .select(eb.fn.countAll<number>().as('n'))
          .where('available_until', '<=', t)
          .as('closed'),
      ])
      .where('id', '=', 1)
      .executeTakeFirstOrThrow();
    // Contract starts and ends likewise (issue 14).
    const contracts = await contractEdges(this.#db, t);
    return `${Number(row.version)}.${Number(row.opened ?? 0) + Number(row.closed ?? 0) + contracts.passed}`;
  }

  async listEvents(filter: { subject?: string; limit?: number } = {}): Promise<CatalogEvent[]> {
    let q = this.#db.selectFrom('events').selectAll();
    if (filter.subject !== undefined) q = q.where('subject', '=', filter.subject);
    const rows = await q
      .orderBy('id', 'desc')
      .limit(filter.limit ?? 100)
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      at: date(r.at),
      actor: r.actor,
      action: r.action,
      subject: r.subject,
      details: JSON.parse(r.details) as Json,
    }));
  }
}

// ---- helpers shared by reads and writes ----

async function episodeTimes(
  trx: Db,
  id: number,
): Promise<{ published_at: number | null; withdrawn_at: number | null }> {
  const e = await trx
    .selectFrom('episodes')
    .select(['published_at', 'withdrawn_at'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (e === undefined) throw new CatalogError('not-found', `no episode with id ${id}`);
  return e;
}

/** published_at never moves once it has passed; until then it follows the rights. */
function nextPublishedAt(
  publishedAt: number | null,
  rights: RightsWindow,
  withdrawnAt: number | null,
  now: number,
): number | null {
  return publishedAt !== null && publishedAt <= now
    ? publishedAt
    : (firstVisibleAt(rights, dateOrNull(withdrawnAt), date(now))?.getTime() ?? null);
}

/** An edit's title (one line, not empty) and description ('' or null: cleared); undefined: unchanged. */
function checkTextEdit(
  changes: { title?: string; description?: string | null },
  what: string,
): { title?: string; description?: string | null } {
  return {
    title: changes.title === undefined ? undefined : text(changes.title, what),
    description:
      changes.description === undefined
        ? undefined
        : optionalText(changes.description ?? undefined, `${what} description`),
  };
}

async function insertRights(trx: Db, episodeId: number, r: Rights): Promise<void> {
  await trx
    .insertInto('episode_rights')
    .values({
      episode_id: episodeId,
      licence: r.licence,
      cleared_worldwide: r.clearedWorldwide ? 1 : 0,
      available_from: ms(r.availableFrom),
      available_until: r.availableUntil === null ? null : ms(r.availableUntil),
    })
    .execute();
  if (r.holders.length > 0) {
    await trx
      .insertInto('rights_holders')
      .values(r.holders.map((name, position) => ({ episode_id: episodeId, position, name })))
      .execute();
  }
}

async function loadRights(db: Db, ids: number[]): Promise<Map<number, Rights>> {
  const out = new Map<number, Rights>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const [rights, holders] = await Promise.all([
      db.selectFrom('episode_rights').selectAll().where('episode_id', 'in', chunk).execute(),
      db
        .selectFrom('rights_holders')
        .selectAll()
        .where('episode_id', 'in', chunk)
        .orderBy('episode_id')
        .orderBy('position')
        .execute(),
    ]);
    for (const r of rights) {
      out.set(Number(r.episode_id), { licence: r.licence, holders: [], ...toWindow(r) });
    }
    for (const h of holders) out.get(Number(h.episode_id))?.holders.push(h.name);
  }
  return out;
}

const episodeKey = (r: { id: number; series_id: number; season_number: number; episode_number: number }) => ({
  id: Number(r.id),
  seriesId: Number(r.series_id),
  season: r.season_number,
  episode: r.episode_number,
});

function toWindow(r: {
  cleared_worldwide: number;
  available_from: number;
  available_until: number | null;
}): RightsWindow {
  return {
    clearedWorldwide: Number(r.cleared_worldwide) === 1,
    availableFrom: date(r.available_from),
    availableUntil: dateOrNull(r.available_until),
  };
}

/** The words of a search: runs of letters and digits, lower case, at most 8 of at most 40 characters. */
export function searchWords(query: string): string[] {
  return (
    String(query)
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  )
    .slice(0, 8)
    .map((w) => w.slice(0, 40));
}

/** An artwork path as the catalog keeps it: relative, under artwork/, no dot segments. */
function artworkPath(path: string): string {
  if (typeof path !== 'string' || !/^artwork\/[a-z0-9][a-z0-9._-]*$/.test(path) || path.includes('..'))
    throw new CatalogError(
      'invalid-input',
      `artwork path must be artwork/<file name fjord made> (got ${String(path)})`,
    );
  return path;
}

function toSeries(r: {
  id: number;
  slug: string;
  title: string;
  description: string | null;
  created_at: number;
  poster_path: string | null;
  banner_path: string | null;
}): Series {
  return {
    id: Number(r.id),
    slug: r.slug,
    title: r.title,
    description: r.description,
    createdAt: date(r.created_at),
    posterPath: r.poster_path,
    bannerPath: r.banner_path,
  };
}

function rightsJson(r: Rights): Json {
  return {
    licence: r.licence,
    holders: r.holders,
    clearedWorldwide: r.clearedWorldwide,
    availableFrom: r.availableFrom.toISOString(),
    availableUntil: r.availableUntil?.toISOString() ?? null,
  };
}

/** Turns a unique violation from publishEpisode's transaction into the catalog's own error. */
function publishConflict(
  err: unknown,
  label: string,
  torrent: {
    infoHashV1: string | null;
    infoHashV2: string | null;
    infoHashAria2: string | null;
    infoHashV1Twin: string | null;
  },
): CatalogError | null {
  const v = uniqueViolation(err);
  if (v === null) return null;
  const key = `${v.table}(${v.columns.join(',')})`;
  switch (key) {
    case 'episodes(series_id,season_number,episode_number)':
      return new CatalogError('duplicate-episode', `episode already exists: ${label}`);
    case 'torrents(info_hash_v1)':
      return new CatalogError(
        'duplicate-info-hash',
        `info hash ${torrent.infoHashV1} (${label}) is already in the catalog`,
      );
    case 'torrents(info_hash_v2)':
    case 'torrents(info_hash_v2_truncated)':
      return new CatalogError(
        'duplicate-info-hash',
        `info hash ${torrent.infoHashV2} (${label}) is already in the catalog`,
      );
    case 'torrents(info_hash_aria2)':
      return new CatalogError(
        'duplicate-info-hash',
        `aria2 info hash ${torrent.infoHashAria2} (${label}) is already in the catalog`,
      );
    case 'torrents(info_hash_v1_twin)':
      return new CatalogError(
        'duplicate-info-hash',
        `v1 twin info hash ${torrent.infoHashV1Twin} (${label}) is already in the catalog`,
      );
    case 'media_files(path)':
      return new CatalogError(
        'duplicate-file',
        `a media file for ${label} is already recorded for another episode`,
      );
    default:
      return null;
  }
}

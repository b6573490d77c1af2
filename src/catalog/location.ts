import type { CatalogLocation } from './backend.js';

/**
 * Where the catalog is: SQLite in the data directory, or `catalogUrl`. A `schema` query parameter
 * (`postgres://db.example/fjord?schema=fjord`) keeps the catalog in that PostgreSQL schema (created
 * if missing) rather than the connection's default search path; it is fjord's, not the driver's.
 */
export function catalogLocation(c: { dataDir: string; catalogUrl: string | null }): CatalogLocation {
  if (!c.catalogUrl) return { dataDir: c.dataDir };
  const url = new URL(c.catalogUrl);
  const schema = url.searchParams.get('schema');
  if (schema === null) return { url: c.catalogUrl };
  url.searchParams.delete('schema');
  return { url: url.toString(), schema };
}

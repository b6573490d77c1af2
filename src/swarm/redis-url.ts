/**
 * The `swarmStore` setting: `memory`, or where the shared Redis store lives (redis-store.ts):
 *
 *   redis://[user:pass@]HOST:PORT[/DB]            one Redis (or Valkey) server
 *   rediss://...                                  the same over TLS
 *   redis+cluster://[user:pass@]HOST:PORT[,HOST:PORT...]   a Redis Cluster, by its seed nodes
 *   rediss+cluster://...                          the same over TLS
 *
 * Pure parsing, so that configuration is checked before anything connects.
 */

export interface RedisTarget {
  cluster: boolean;
  tls: boolean;
  nodes: Array<{ host: string; port: number }>;
  username?: string;
  password?: string;
  db: number;
}

/** The URL with its password hidden, for logs and error messages. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^([a-z+]+:\/\/[^:@/]*:)[^@/]*@/i, '$1***@');
}

/** Parses a Redis store URL; throws a one-line reason naming it (password hidden). */
export function parseRedisUrl(url: string): RedisTarget {
  const shown = redactRedisUrl(url);
  const m = /^(rediss?)(\+cluster)?:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)(?:\/(\d+))?\/?$/i.exec(url);
  if (!m)
    throw new Error(
      `swarmStore "${shown}" is not memory, redis://[user:pass@]HOST:PORT[/DB], rediss://... or redis+cluster://HOST:PORT[,HOST:PORT...]`,
    );
  const cluster = m[2] !== undefined;
  const hosts = m[5].split(',');
  if (!cluster && hosts.length > 1)
    throw new Error(`swarmStore "${shown}": several hosts need redis+cluster:// (a Redis Cluster)`);
  const nodes = hosts.map((h) => {
    const hm = /^\[([0-9a-fA-F:.]+)\]:(\d{1,5})$/.exec(h) ?? /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(h);
    if (!hm) throw new Error(`swarmStore "${shown}": "${h}" is not HOST:PORT`);
    const port = Number(hm[2]);
    if (port < 1 || port > 65535) throw new Error(`swarmStore "${shown}": port ${port} out of range`);
    return { host: hm[1], port };
  });
  const db = m[6] === undefined ? 0 : Number(m[6]);
  if (db > 15) throw new Error(`swarmStore "${shown}": database ${db} out of range (0 to 15)`);
  if (cluster && db !== 0) throw new Error(`swarmStore "${shown}": a Redis Cluster has database 0 only`);
  const decode = (s: string | undefined) => (s === undefined || s === '' ? undefined : decodeURIComponent(s));
  return {
    cluster,
    tls: m[1].toLowerCase() === 'rediss',
    nodes,
    username: decode(m[3]),
    password: decode(m[4]),
    db,
  };
}

/** Key prefixes: printable, no braces (the store puts the prefix in a Cluster hash tag). */
export function checkKeyPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9:_.-]{1,64}$/.test(prefix))
    throw new Error(
      `swarmStoreKeyPrefix must be 1 to 64 letters, digits or : _ . - (got ${JSON.stringify(prefix)})`,
    );
}

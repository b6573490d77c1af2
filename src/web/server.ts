/**
 * fjord's web server: one node:http server per `--web` listener, with a small router that the parts
 * of fjord serving HTTP (the web seed, later pages, feeds and the admin area) add their routes to.
 *
 *   const web = new WebServer(log);
 *   web.addRoute('GET', '/media/*', (req, res, m) => ...);        // m.rest: the raw rest of the path
 *   web.addRoute('GET', '/series/:slug', (req, res, m) => ...);   // m.params.slug, percent-decoded
 *   await web.listen({ host: '127.0.0.1', port: 8080 });
 *
 * Matching is on the raw request path, segment by segment, before any decoding or dot-segment
 * normalisation: a route sees exactly what the client sent, so `%2f` can never become a path
 * separator behind a handler's back, and handlers that map paths to files do their own strict checks.
 * A GET route also answers HEAD (the handler sees req.method and must send no body). A path that
 * matches no route gets 404; one that matches only under another method gets 405 with `Allow`.
 *
 * Each listener caps the connections one client address may hold open (`maxConnectionsPerAddress`,
 * trusted proxies excepted): one host cannot take the process's descriptors (issue 19).
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatEndpoint, type Endpoint } from '../config.js';
import { AcceptProblems, capConnections } from '../tracker/address-limit.js';
import { Network } from '../protocol/ip.js';
import { isCatalogUnavailable } from '../catalog/errors.js';

export interface WebServerOptions {
  /** Open connections per client address on each listener (config webMaxConnectionsPerAddress). */
  maxConnectionsPerAddress?: number;
  /** Networks whose connections are not counted (config trustedProxies). */
  trustedProxies?: string[];
  /** Called for each connection closed for being over the cap (the tracker's counters). */
  onRefused?: () => void;
}

export interface RouteMatch {
  /** `:name` segments, percent-decoded (a segment that does not decode does not match). */
  params: Record<string, string>;
  /** For a pattern ending in `/*`: the raw (undecoded) remainder after that slash, '' when none. */
  rest: string;
  /** The raw path, without the query string. */
  path: string;
  /** The raw query string without '?', or ''. */
  query: string;
}

export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  match: RouteMatch,
) => void | Promise<void>;

interface Route {
  methods: Set<string>;
  segments: string[];
  wildcard: boolean;
  handler: RouteHandler;
}

export class WebServer {
  private readonly routes: Route[] = [];
  private readonly servers: http.Server[] = [];
  private notFoundHandler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  private readonly maxPerAddress: number;
  private readonly trusted: Network[];
  private readonly onRefused: () => void;

  constructor(
    private readonly log: (msg: string) => void = () => {},
    options: WebServerOptions = {},
  ) {
    this.maxPerAddress = options.maxConnectionsPerAddress ?? 256;
    this.trusted = (options.trustedProxies ?? []).map((n) => new Network(n));
    this.onRefused = options.onRefused ?? (() => {});
  }

  /**
   * Adds a route. `pattern` is an absolute path whose segments are literals, `:name` parameters,
   * and optionally a final `*` matching the rest of the path (including nothing). Routes are tried
   * in the order added; the first whose method and path match handles the request.
   */
  addRoute(method: string | string[], pattern: string, handler: RouteHandler): void {
    if (!pattern.startsWith('/')) throw new Error(`route pattern "${pattern}" must start with /`);
    const segments = pattern.slice(1).split('/');
    const wildcard = segments[segments.length - 1] === '*';
    if (wildcard) segments.pop();
    if (segments.some((s) => s === '*')) throw new Error(`route pattern "${pattern}": * only at the end`);
    const methods = new Set((Array.isArray(method) ? method : [method]).map((m) => m.toUpperCase()));
    if (methods.has('GET')) methods.add('HEAD');
    this.routes.push({ methods, segments, wildcard, handler });
  }

  /** The request listener, for a server made elsewhere (tests, or sharing a port). */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    void this.dispatch(req, res);
  };

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const query = q < 0 ? '' : target.slice(q + 1);
    if (!path.startsWith('/')) return sendText(res, 400, 'bad request target\n');
    const method = (req.method ?? 'GET').toUpperCase();
    const allowed = new Set<string>();
    for (const route of this.routes) {
      const m = matchRoute(route, path, query);
      if (!m) continue;
      if (!route.methods.has(method)) {
        for (const x of route.methods) allowed.add(x);
        continue;
      }
      try {
        await route.handler(req, res, m);
      } catch (err) {
        this.log(`web: ${method} ${path}: ${err instanceof Error ? err.message : String(err)}`);
        if (res.headersSent) res.destroy();
        else if (isCatalogUnavailable(err)) {
          // The database is stopped or restarting: say so, and when to try again; fjord reconnects.
          res.setHeader('Retry-After', '5');
          sendText(res, 503, 'temporarily unavailable: the catalog database cannot be reached\n');
        } else sendText(res, 500, 'internal error\n');
      }
      return;
    }
    if (allowed.size > 0) {
      res.setHeader('Allow', [...allowed].sort().join(', '));
      return sendText(res, 405, 'method not allowed\n');
    }
    this.notFound(req, res);
  }

  /**
   * Replaces the plain-text 404 for paths no route matches (the audience pages answer with an HTML
   * page in the viewer's language). Handlers may call notFound() for their own misses too.
   */
  setNotFound(handler: (req: IncomingMessage, res: ServerResponse) => void): void {
    this.notFoundHandler = handler;
  }

  notFound(req: IncomingMessage, res: ServerResponse): void {
    if (this.notFoundHandler) this.notFoundHandler(req, res);
    else sendText(res, 404, 'not found\n');
  }

  /** Starts a listener; resolves with the bound address (port 0 picks a free one). */
  async listen(endpoint: Endpoint): Promise<Endpoint> {
    const server = http.createServer(this.handle);
    // Slow clients must not hold sockets for ever; a media download is a stream of writes, which
    // keeps its socket active, so this only ends idle or stalled connections.
    server.keepAliveTimeout = 5_000;
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(endpoint.port, endpoint.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.log(`web: ${err.message}`));
    this.servers.push(server);
    const a = server.address() as AddressInfo;
    const bound = { host: a.address, port: a.port };
    const problems = new AcceptProblems(this.log, `web ${formatEndpoint(bound)}`, this.maxPerAddress);
    capConnections(server, this.maxPerAddress, this.trusted, problems, this.onRefused);
    return bound;
  }

  async close(): Promise<void> {
    await Promise.all(
      this.servers.splice(0).map(
        (s) =>
          new Promise<void>((resolve) => {
            s.close(() => resolve());
            s.closeAllConnections();
          }),
      ),
    );
  }
}

function matchRoute(route: Route, path: string, query: string): RouteMatch | null {
  const parts = path.slice(1).split('/');
  const n = route.segments.length;
  if (route.wildcard ? parts.length < n : parts.length !== n) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < n; i++) {
    const seg = route.segments[i];
    if (seg.startsWith(':')) {
      if (parts[i] === '') return null;
      try {
        params[seg.slice(1)] = decodeURIComponent(parts[i]);
      } catch {
        return null;
      }
    } else if (seg !== parts[i]) return null;
  }
  // "/media" matches "/media/*" with an empty rest; "/media/a/b" gives "a/b".
  const rest = route.wildcard ? parts.slice(n).join('/') : '';
  return { params, rest, path, query };
}

export function sendText(res: ServerResponse, status: number, body: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

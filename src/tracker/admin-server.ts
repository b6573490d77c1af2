/**
 * The admin API: change the access list at run time. Bound to loopback by default and protected by
 * a bearer token (DATA/admin-token unless configured), compared in constant time.
 *
 *   GET    /access              {"mode": "...", "hashes": [...]}       the listed hashes
 *   PUT    /access/<40 hex>     list a hash (whitelist: allow; blacklist: block)
 *   DELETE /access/<40 hex>     unlist a hash
 *   POST   /access/reload       reread the list file now (as SIGHUP does)
 * Changes take effect immediately and are kept in DATA/access-admin.json across restarts.
 */
import http from 'node:http';
import { timingSafeEqual, createHash } from 'node:crypto';
import { formatEndpoint, type Endpoint } from '../config.js';
import { Network } from '../protocol/ip.js';
import { AcceptProblems, capConnections } from './address-limit.js';
import type { Tracker } from './tracker.js';

export class TrackerAdminServer {
  readonly server: http.Server;

  constructor(
    private readonly tracker: Tracker,
    private readonly token: string,
    readonly endpoint: Endpoint,
  ) {
    this.server = http.createServer({ maxHeaderSize: 8192 }, (req, res) => this.handle(req, res));
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 10_000;
  }

  listen(): Promise<Endpoint> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.endpoint.port, this.endpoint.host, () => {
        this.server.off('error', reject);
        const a = this.server.address() as import('node:net').AddressInfo;
        const bound = { host: a.address, port: a.port };
        // At most adminMaxConnectionsPerAddress open from one address (trusted proxies excepted).
        const c = this.tracker.config;
        const max = c.adminMaxConnectionsPerAddress;
        const problems = new AcceptProblems(
          (l) => this.tracker.log(l),
          `admin ${formatEndpoint(bound)}`,
          max,
        );
        const trusted = c.trustedProxies.map((n) => new Network(n));
        const counters = this.tracker.counters;
        capConnections(this.server, max, trusted, problems, () => counters.adminConnectionsRefused++);
        resolve(bound);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private authorised(req: http.IncomingMessage): boolean {
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!m) return false;
    // Hash both sides so the comparison takes the same time whatever the lengths.
    const a = createHash('sha256').update(m[1]).digest();
    const b = createHash('sha256').update(this.token).digest();
    return timingSafeEqual(a, b);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body) + '\n');
    };
    req.resume(); // no endpoint reads a body
    if (!this.authorised(req)) {
      res.setHeader('www-authenticate', 'Bearer');
      send(401, { error: 'missing or wrong token (Authorization: Bearer <token from DATA/admin-token>)' });
      return;
    }
    const access = this.tracker.access;
    const url = (req.url ?? '/').split('?')[0];
    const m = /^\/access\/([0-9a-fA-F]{40})$/.exec(url);
    try {
      if (url === '/access' && req.method === 'GET') {
        send(200, { mode: access.mode, hashes: access.listed() });
      } else if (url === '/access/reload' && req.method === 'POST') {
        if (!access.file) send(400, { error: 'no list file is configured' });
        else send(200, access.loadFile());
      } else if (m && req.method === 'PUT') {
        access.add(m[1]);
        this.tracker.log(`access: ${m[1].toLowerCase()} listed through the admin API`);
        send(200, { listed: m[1].toLowerCase() });
      } else if (m && req.method === 'DELETE') {
        const was = access.remove(m[1]);
        this.tracker.log(`access: ${m[1].toLowerCase()} unlisted through the admin API`);
        send(was ? 200 : 404, was ? { unlisted: m[1].toLowerCase() } : { error: 'that hash was not listed' });
      } else if (/^\/access\//.test(url)) {
        send(400, { error: 'expected /access/<40 hex digits> with PUT or DELETE' });
      } else send(404, { error: 'unknown endpoint; see GET /access' });
    } catch (e) {
      send(500, { error: e instanceof Error ? e.message : String(e) });
    }
  }
}

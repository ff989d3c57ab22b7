/**
 * One address in front of the API processes, as a load balancer would be: round robin, and a request whose
 * connection an API refused (the process is down) goes to the next one — safe, since that API never saw it.
 * A request an API dropped half-way (it died while answering) gets a 502 and the provider retries it, as it
 * would behind any load balancer. Streams (the live page's Server-Sent Events) pass through unbuffered.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost } from '../config/index.js';

export interface Upstream {
  name: string;
  port: number;
}

export interface RunningProxy {
  url: string;
  port: number;
  close: () => Promise<void>;
}

/**
 * The Host an API sees. Without API_TOKEN an API answers only requests whose Host is a loopback name on its own
 * port (src/api/guards.ts, against DNS rebinding): a loopback Host on the proxy's port becomes the API's own
 * loopback address, anything else passes unchanged and meets the same refusal it would meet at the API.
 */
function hostFor(header: string | undefined, proxyPort: number, upstreamPort: number): string | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec((header ?? '').trim());
  if (!match || !isLoopbackHost(match[1]!) || Number(match[2] ?? 80) !== proxyPort) return header;
  return `127.0.0.1:${upstreamPort}`;
}

export async function startProxy(upstreams: () => Upstream[], port: number, host = '127.0.0.1'): Promise<RunningProxy> {
  let next = 0;
  /** The port the proxy listens on, once it does. */
  let listening = port;
  const server = http.createServer((req, res) => {
    // The body is buffered (webhooks and API calls are small; the API refuses bodies over 256 KiB), so a
    // refused connection can be retried on the next upstream with the same bytes.
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const candidates = upstreams();
      const first = next++;
      const attempt = (tried: number) => {
        if (tried >= candidates.length) {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'no API process is reachable' }));
          return;
        }
        const upstream = candidates[(first + tried) % candidates.length]!;
        const forwarded = http.request(
          {
            host: '127.0.0.1',
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: {
              ...req.headers,
              host: hostFor(req.headers.host, listening, upstream.port),
              'x-forwarded-for': req.socket.remoteAddress ?? '',
            },
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
            answer.on('error', () => res.destroy());
          },
        );
        forwarded.on('error', (error: NodeJS.ErrnoException) => {
          // Refused: the process is not there and never saw the request. Anything else (a reset) may come
          // after the API acted on it, so it is not repeated here; the client decides, as providers do.
          if (error.code === 'ECONNREFUSED') return attempt(tried + 1);
          if (res.headersSent) return res.destroy();
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: `API process ${upstream.name} failed: ${error.code ?? error.message}` }));
        });
        res.on('close', () => {
          if (!res.writableFinished) forwarded.destroy();
        });
        forwarded.end(body);
      };
      attempt(0);
    });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  listening = actual;
  return {
    url: `http://${host === '127.0.0.1' ? 'localhost' : host}:${actual}`,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

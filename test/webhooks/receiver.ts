import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as received. */
  body: string;
}

/** What the receiver does with the next request: answer with a status, or never answer. */
export type Behaviour = { status: number; body?: string } | 'hang';

export interface Receiver {
  url: string;
  requests: Received[];
  /** Answers requests in turn with these; the last one repeats. Default 200. */
  behave(...b: Behaviour[]): void;
  close(): Promise<void>;
}

/** A real HTTP receiver on 127.0.0.1 and a free port, recording every request. */
export async function startReceiver(path = '/hooks'): Promise<Receiver> {
  const requests: Received[] = [];
  let plan: Behaviour[] = [{ status: 200, body: 'ok' }];
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const b = plan.length > 1 ? plan.shift()! : plan[0]!;
      if (b === 'hang') {
        hanging.push(res);
        return;
      }
      res.writeHead(b.status, { 'content-type': 'text/plain' }).end(b.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    requests,
    behave: (...b) => {
      plan = b.length > 0 ? b : [{ status: 200 }];
    },
    close: async () => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// A minimal gateway in its own process: receives an OpenAI call and forwards it upstream over a
// keep-alive pool. It stands for the extra hop a separate gateway adds.
import http from 'node:http';
import { Pool } from 'undici';

const upstream = new URL(process.argv[2]);
const pool = new Pool(upstream.origin, { connections: 64 });
const server = http.createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const answer = await pool.request({
    method: req.method,
    path: req.url,
    headers: { 'content-type': 'application/json', authorization: req.headers.authorization ?? '' },
    body: Buffer.concat(chunks),
  });
  res.writeHead(answer.statusCode, { 'content-type': 'application/json' });
  res.end(Buffer.from(await answer.body.arrayBuffer()));
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
process.on('disconnect', () => server.close(() => pool.close().then(() => process.exit(0))));

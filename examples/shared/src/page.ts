/** `GET /`: a page that asks `/chat/stream` with an `EventSource` and shows who answered. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<meta charset="utf-8">
<title>ai-failover example</title>
<style>body{font:16px system-ui;max-width:42rem;margin:2rem auto}input{width:30rem}pre{white-space:pre-wrap}</style>
<h1>ai-failover</h1>
<form id="ask"><input id="message" value="What is a circuit breaker?"> <button>Ask</button></form>
<pre id="answer"></pre>
<p id="report"></p>
<p><a href="/health">/health</a></p>
<script>
document.getElementById('ask').onsubmit = (event) => {
  event.preventDefault();
  const answer = document.getElementById('answer');
  const report = document.getElementById('report');
  answer.textContent = '';
  report.textContent = '';
  const message = document.getElementById('message').value;
  const source = new EventSource('/chat/stream?message=' + encodeURIComponent(message));
  source.onmessage = (e) => { answer.textContent += JSON.parse(e.data).delta; };
  source.addEventListener('done', (e) => {
    source.close();
    const r = JSON.parse(e.data);
    const tried = r.attempts.map((a) => a.deployment + ' ' + a.outcome).join(', ');
    report.textContent = 'answered by ' + r.deployment + ' (' + tried + '), $' + (r.costUsd ?? 0).toFixed(6);
  });
  source.addEventListener('error', (e) => {
    source.close();
    report.textContent = e.data ? JSON.parse(e.data).error.message : 'the request failed: see /health';
  });
};
</script>
</html>
`;

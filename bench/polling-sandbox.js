'use strict';
// The Ecwid side of the polling bench: a sandbox with its rate limit on, in a process of its own so that serving
// pages does not share a core with the poller under test. Answers over IPC: ready, stats, stop.
const { EcwidSandbox } = require('../dist/testing');

async function main() {
  const [orders, requestsPerWindow, windowMs] = process.argv.slice(2).map(Number);
  let offsetMs = -2 * 3_600_000;
  const sandbox = new EcwidSandbox({ now: () => Date.now() + offsetMs, rateLimit: { requestsPerMinute: requestsPerWindow, windowMs } });
  await sandbox.start();
  // Placed two hours ago, so the backfill window holds all of them and nothing changes while it pages.
  sandbox.seedOrders(orders, (i) => ({ paymentStatus: i % 3 === 0 ? 'PAID' : 'AWAITING_PAYMENT', email: `buyer${i}@example.com` }));
  offsetMs = 0;

  process.on('message', async (message) => {
    if (message.type === 'stats') {
      const statuses = {};
      for (const r of sandbox.requests) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      process.send({ type: 'stats', statuses, requests: sandbox.requests.length });
      sandbox.clearRequests();
    }
    if (message.type === 'stop') {
      await sandbox.stop();
      process.disconnect();
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ type: 'ready', storeId: sandbox.storeId, token: sandbox.token, apiBaseUrl: sandbox.apiBaseUrl });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

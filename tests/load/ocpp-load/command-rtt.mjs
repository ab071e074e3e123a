// Issue 5's command round trip: one idle charge point (ocpp-rpc, strict mode) connected to the host; an operator
// command is POSTed, the charge point answers it, and the time until GET /api/commands/{id} shows the outcome is
// measured. Sequential, so each command meets an idle charge point.
//
//   node command-rtt.mjs <ws base e.g. ws://127.0.0.1:8080/ocpp> <http base> <api key> <cp id> <password> [count=300] [action=ClearCache]
import { performance } from 'node:perf_hooks';
import ocppRpc from 'ocpp-rpc';
const { RPCClient } = ocppRpc;

const [wsBase, httpBase, apiKey, cpId, password, countArg, actionArg] = process.argv.slice(2);
const count = Number(countArg ?? 300);
const action = actionArg ?? 'ClearCache';
const payloads = { ClearCache: {}, Reset: { type: 'Soft' }, GetConfiguration: { key: ['HeartbeatInterval'] }, UnlockConnector: { connectorId: 1 } };
const answers = { ClearCache: { status: 'Accepted' }, Reset: { status: 'Accepted' }, UnlockConnector: { status: 'Unlocked' },
  GetConfiguration: { configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }], unknownKey: [] } };

const client = new RPCClient({ endpoint: wsBase, identity: cpId, password, protocols: ['ocpp1.6'], strictMode: true, reconnect: false });
for (const name of Object.keys(answers)) client.handle(name, () => answers[name]);
await client.connect();
await client.call('BootNotification', { chargePointVendor: 'RTT', chargePointModel: 'Idle' });

const headers = { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' };
const terminal = new Set(['Accepted', 'Rejected', 'Failed', 'TimedOut']);
const latencies = [];
const statuses = {};
const deadline = performance.now() + 120_000; // bounded in time as well as count
for (let i = 0; i < count && performance.now() < deadline; i++) {
  const started = performance.now();
  const posted = await fetch(`${httpBase}/api/chargepoints/${cpId}/commands`,
    { method: 'POST', headers, body: JSON.stringify({ action, payload: payloads[action] }) });
  if (posted.status !== 202) throw new Error(`POST answered ${posted.status}: ${await posted.text()}`);
  const { commandId } = await posted.json();
  let status;
  for (let polls = 0; polls < 10_000; polls++) {
    const state = await (await fetch(`${httpBase}/api/commands/${commandId}`, { headers })).json();
    status = state.status;
    if (terminal.has(status)) break;
  }
  latencies.push(performance.now() - started);
  statuses[status] = (statuses[status] ?? 0) + 1;
}
await client.close();

latencies.sort((a, b) => a - b);
const pct = p => Math.round(latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)] * 100) / 100;
console.log(JSON.stringify({ action, commands: latencies.length, statuses, p50: pct(50), p95: pct(95), p99: pct(99), max: pct(100) }, null, 2));

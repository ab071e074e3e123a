// Cold-start probe: waits for the first BootNotification.conf from a freshly started host and prints the
// milliseconds since START_MS (the epoch ms at which the host process was launched). Used by ops/cold-start.sh.
import { RPCClient } from 'ocpp-rpc';

const [url, identity, password, startMs] = process.argv.slice(2);
const deadline = Date.now() + 60_000;
for (;;) {
  const client = new RPCClient({ endpoint: url, identity, password, protocols: ['ocpp1.6'], strictMode: true, reconnect: false });
  try {
    await client.connect();
    const conf = await client.call('BootNotification', { chargePointVendor: 'ColdStart', chargePointModel: 'Probe' });
    if (conf.status !== 'Accepted') throw new Error(`boot ${conf.status}`);
    console.log(Date.now() - Number(startMs));
    await client.close();
    process.exit(0);
  } catch (err) {
    if (Date.now() > deadline) { console.error(String(err)); process.exit(1); }
    await new Promise((r) => setTimeout(r, 20));
  }
}

import { benchOverhead } from './overhead';
const r = await benchOverhead({ rounds: 30 });
for (const p of r.playbooks) console.log(p.playbook, JSON.stringify(p.roundTrips));

// Published ports as passt forwards, added and removed at run time by pesto over passt's
// configuration socket: `-A -t 127.0.0.1/8080:10.0.2.15/8080` binds 127.0.0.1:8080 on the host
// and sends each connection to that guest address (the VM's own, or a redirect of its loopback
// or of a host address: port-specs.ts). passt carries the bytes; no process of ours copies them.
// passt reports a port it cannot bind only in its log, and keeps the rule, after which it applies
// no later change until that rule goes; and it applies a change only after pesto has returned. So
// a port is checked free before its rule is added, and found held by passt after (waiting for
// passt to apply), and a rule passt did not bind is taken out again at once.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import type { UserNetForwards } from './port-forwarder.ts';

type Protocol = 'tcp' | 'udp';

export interface PasstRule {
  protocol: Protocol;
  hostIp: string;
  hostPort: number;
  guestIp: string;
  guestPort: number;
}

/** The rule as pesto spells it after -t/-u. */
export function ruleSpec(r: PasstRule): string {
  return `${r.hostIp}/${r.hostPort}:${r.guestIp}/${r.guestPort}`;
}

/** The inbound rules in pesto's listing ("    TCP [127.0.0.1]:8080  =>  10.0.2.15:80"). */
export function parseTable(listing: string): PasstRule[] {
  const rules: PasstRule[] = [];
  for (const m of listing.matchAll(/^\s*(TCP|UDP)\s+\[([\d.]+)\]:(\d+)\s+=>\s+([\d.]+):(\d+)\s*$/gm)) {
    rules.push({
      protocol: m[1] === 'TCP' ? 'tcp' : 'udp',
      hostIp: m[2] ?? '',
      hostPort: Number(m[3]),
      guestIp: m[4] ?? '',
      guestPort: Number(m[5]),
    });
  }
  return rules;
}

/**
 * True when ip:port can be bound for `protocol` on the host (bound and let go at once); rejects when
 * it cannot be bound at all (EACCES below 1024). `shared` binds UDP with SO_REUSEADDR, as passt
 * does: a UDP flow passt keeps for a while after its forward went still holds the port that way.
 */
export function portFree(protocol: Protocol, ip: string, port: number, shared = false): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const done = (e: NodeJS.ErrnoException | null, close: () => void) => {
      if (!e) close();
      if (!e || e.code === 'EADDRINUSE') resolve(!e);
      else reject(e);
    };
    if (protocol === 'tcp') {
      const s = net.createServer();
      s.once('error', (e) => done(e, () => {}));
      s.listen({ host: ip, port, exclusive: true }, () => done(null, () => s.close()));
    } else {
      const s = dgram.createSocket({ type: 'udp4', reuseAddr: shared });
      s.once('error', (e) => done(e, () => s.close()));
      s.bind({ address: ip, port, exclusive: true }, () => done(null, () => s.close()));
    }
  });
}

export type Pesto = (args: string[]) => Promise<string>;

/** pesto from the same build as the passt that serves `control`. */
export function pestoCommand(pesto: string, control: string): Pesto {
  return (args) =>
    new Promise((resolve, reject) => {
      execFile(pesto, [...args, control], { timeout: 10_000 }, (err, stdout, stderr) => {
        if (err) reject(new Error(stderr.trim().split('\n').pop() || err.message));
        else resolve(stdout);
      });
    });
}

const flag = (p: Protocol): string => (p === 'tcp' ? '-t' : '-u');

/** What passtForwards asks of the host; the defaults ask the real one. */
export interface PasstForwardDeps {
  isFree?: typeof portFree;
  /** Whether the VM's passt is still running (a rule dies with it). */
  alive?: () => boolean;
  /** Whether passt itself listens on the port (socket-owner.ts); undefined when that cannot be told. */
  passtListens?: (protocol: Protocol, ip: string, port: number) => boolean | undefined;
  /** How long passt gets to apply a change. */
  applyMs?: number;
}

/** Asks `cond` until it holds (true) or `ms` have passed (false), a little less often each time. */
async function settles(cond: () => Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
    if (await cond()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, wait));
  }
}

/**
 * passt applies a change once pesto has hung up, so pesto's return says nothing yet about the
 * port: a rule is judged by the port once passt has had time to bind it (or let it go).
 */
export function passtForwards(pesto: Pesto, deps: PasstForwardDeps = {}): UserNetForwards {
  const { isFree = portFree, alive = () => true, passtListens = () => undefined, applyMs = 5000 } = deps;
  const same = (r: PasstRule, protocol: Protocol, hostIp: string, hostPort: number) =>
    r.protocol === protocol && r.hostIp === hostIp && r.hostPort === hostPort;
  const find = async (protocol: Protocol, hostIp: string, hostPort: number) =>
    parseTable(await pesto([])).find((r) => same(r, protocol, hostIp, hostPort));
  const taken = (hostIp: string, hostPort: number, protocol: Protocol) =>
    new Error(`${hostIp}:${hostPort}${protocol === 'udp' ? '/udp' : ''}: address already in use`);
  /** Free as passt binds it (UDP flows passt keeps a while after a forward went do not count). */
  const freeForPasst = (protocol: Protocol, hostIp: string, hostPort: number) =>
    isFree(protocol, hostIp, hostPort, true);

  return {
    async add(protocol, hostIp, hostPort, guestIp, guestPort) {
      const rule: PasstRule = { protocol, hostIp, hostPort, guestIp, guestPort };
      if (!(await freeForPasst(protocol, hostIp, hostPort))) {
        // An adopted VM's passt still holds the forwards its first host added: taken over as
        // they are, or replaced when the target moved. A port passt still listens on with no rule
        // is one it is letting go of; anything else is another program's.
        const old = await find(protocol, hostIp, hostPort);
        if (old?.guestIp === guestIp && old.guestPort === guestPort) return;
        if (old) await pesto(['-D', flag(protocol), ruleSpec(old)]);
        else if (passtListens(protocol, hostIp, hostPort) === false) throw taken(hostIp, hostPort, protocol);
        if (!(await settles(() => freeForPasst(protocol, hostIp, hostPort), applyMs)))
          throw taken(hostIp, hostPort, protocol);
      }
      await pesto(['-A', flag(protocol), ruleSpec(rule)]);
      const bound = await settles(async () => !(await isFree(protocol, hostIp, hostPort)), applyMs);
      const ours = bound && passtListens(protocol, hostIp, hostPort) !== false;
      if (!ours) {
        // Taken between the check and passt's bind, or never bound: the rule must not stay, or
        // it blocks every later change.
        await pesto(['-D', flag(protocol), ruleSpec(rule)]).catch(() => undefined);
        if (bound) throw taken(hostIp, hostPort, protocol);
        throw new Error(
          `${hostIp}:${hostPort}/${protocol}: passt did not bind it in ${applyMs / 1000} s (logs/passt.log)`,
        );
      }
    },
    async remove(protocol, hostIp, hostPort) {
      if (!alive()) return; // gone with the VM
      const old = await find(protocol, hostIp, hostPort);
      if (!old) return;
      await pesto(['-D', flag(protocol), ruleSpec(old)]);
      // Let go before saying so: a container started again at once binds the same port.
      await settles(async () => passtListens(protocol, hostIp, hostPort) !== true, applyMs);
    },
  };
}

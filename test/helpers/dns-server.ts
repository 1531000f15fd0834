import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import dnsPacket from 'dns-packet';

/** A record the test server answers: `A`/`AAAA` an address, `CNAME` a name. */
export interface TestRecord {
  readonly type: 'A' | 'AAAA' | 'CNAME';
  readonly data: string;
  readonly ttl?: number;
}

export interface TestDnsServer extends AsyncDisposable {
  /** `127.0.0.1:<port>`, as dns_resolver takes it. */
  readonly address: string;
  /** Every question asked, as `TYPE name`. */
  readonly questions: string[];
}

/**
 * A real DNS server over UDP on 127.0.0.1 for one test: it answers the records of `zone` (names
 * lowercase), NODATA for a known name without the asked type, NXDOMAIN for any other.
 */
export async function startDnsServer(zone: Record<string, TestRecord[]>): Promise<TestDnsServer> {
  const socket = createSocket('udp4');
  const questions: string[] = [];
  socket.on('message', (message, peer) => {
    const query = dnsPacket.decode(message);
    const question = query.questions?.[0];
    if (question === undefined) return;
    questions.push(`${question.type} ${question.name}`);
    const records = zone[question.name.toLowerCase()];
    const answers = (records ?? [])
      .filter((r) => r.type === question.type)
      .map((r) => ({ type: r.type, name: question.name, ttl: r.ttl ?? 60, data: r.data }));
    const response = dnsPacket.encode({
      id: query.id,
      type: 'response',
      // RCODE 3 (NXDOMAIN) for a name the zone does not have; recursion available.
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (records === undefined ? 3 : 0),
      questions: [question],
      answers,
    } as dnsPacket.Packet);
    socket.send(response, peer.port, peer.address);
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  return {
    address: `127.0.0.1:${socket.address().port}`,
    questions,
    async [Symbol.asyncDispose]() {
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}

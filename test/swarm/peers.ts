/** Compact peers and info hashes for the swarm tests. */

/** A 20-byte info hash from a small number. */
export const hash = (n: number): Buffer => {
  const b = Buffer.alloc(20);
  b.writeUInt32BE(n, 16);
  return b;
};

/** An IPv4 peer: address (a 32-bit number) and port, as the wire carries them. */
export const peer4 = (ip: number, port: number): Buffer => {
  const b = Buffer.alloc(6);
  b.writeUInt32BE(ip >>> 0, 0);
  b.writeUInt16BE(port, 4);
  return b;
};

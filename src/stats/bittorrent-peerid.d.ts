// Types for bittorrent-peerid 2.x (the package ships none): peer_id (20 bytes) to client name.
declare module 'bittorrent-peerid' {
  export interface PeerIdClient {
    client: string;
    version?: string | null;
  }
  /** Throws when the id is not 20 bytes. */
  export default function peerid(peerId: Buffer | string): PeerIdClient;
}

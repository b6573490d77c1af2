/** Torrent creation: see docs/torrents.md. */
export { createTorrent, type CreateTorrentOptions, type CreatedTorrent, type CreatedFile } from './create.js';
export { choosePieceLength, checkPieceLength, type TorrentMode } from './layout.js';
export { progressBar, type ProgressBar } from './progress.js';

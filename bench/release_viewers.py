#!/usr/bin/python3
"""Viewers of a simulated release for bench/release.js (run with /usr/bin/python3: Debian's
python3-libtorrent imports only there).

  release_viewers.py --torrent T --dir DIR --viewers N --spread S [--up B] [--down B] [--timeout S]

N libtorrent sessions in this one process, one viewer each, arriving evenly over S seconds (the first
at 0, the last at S). Each has home-connection limits (--up, --down bytes per second, on loopback
too: the session's peer class filter puts every address in the global class, which libtorrent
otherwise leaves unlimited for local networks), DHT, LSD, UPnP, NAT-PMP and PEX off, so peers meet
only through the tracker, and the web seed in the torrent's url-list. A viewer seeds once done. When
every viewer is done (or at --timeout) all stop, announcing `stopped`.

Prints one JSON object a line: {"event": "arrived"|"done", "viewer": i, "t": s}, and last
{"event": "summary", "viewers": [{"arrived", "done", "payload_down", "payload_up", "ok"}]}, where
payload_down is libtorrent's total_payload_download (peers and web seed, redundant bytes included).
"""
import argparse
import hashlib
import json
import os
import sys
import time

import libtorrent as lt

START = time.monotonic()


def now():
    return time.monotonic() - START


def emit(event, **fields):
    fields["event"] = event
    fields["t"] = round(now(), 3)
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def session(up, down):
    s = lt.session(
        {
            "listen_interfaces": "127.0.0.1:0",
            "outgoing_interfaces": "127.0.0.1",
            "enable_dht": False,
            "enable_lsd": False,
            "enable_upnp": False,
            "enable_natpmp": False,
            "allow_multiple_connections_per_ip": True,
            "upload_rate_limit": up,
            "download_rate_limit": down,
            "stop_tracker_timeout": 3,
            "min_announce_interval": 1,
            "alert_mask": 0,
        },
        0,
    )
    f = lt.ip_filter()
    f.add_rule("0.0.0.0", "255.255.255.255", 1 << lt.session.global_peer_class_id)
    s.set_peer_class_filter(f)
    return s


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--torrent", required=True)
    p.add_argument("--dir", required=True)
    p.add_argument("--viewers", type=int, default=12)
    p.add_argument("--spread", type=float, default=30)
    p.add_argument("--up", type=int, default=1 << 20)
    p.add_argument("--down", type=int, default=4 << 20)
    p.add_argument("--timeout", type=float, default=300)
    p.add_argument("--sha256", default="")
    a = p.parse_args()
    ti = lt.torrent_info(a.torrent)
    n = a.viewers
    at = [a.spread * i / max(1, n - 1) for i in range(n)]
    viewers = [dict(arrived=None, done=None, payload_down=0, payload_up=0, ok=False) for _ in range(n)]
    sessions = [None] * n
    handles = [None] * n
    while now() < a.timeout:
        for i in range(n):
            if handles[i] is None and now() >= at[i]:
                sessions[i] = session(a.up, a.down)
                atp = lt.add_torrent_params()
                atp.ti = lt.torrent_info(a.torrent)
                atp.save_path = os.path.join(a.dir, str(i))
                atp.flags |= lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex
                atp.flags &= ~lt.torrent_flags.auto_managed
                atp.flags &= ~lt.torrent_flags.paused
                handles[i] = sessions[i].add_torrent(atp)
                viewers[i]["arrived"] = round(now(), 3)
                emit("arrived", viewer=i)
        for i, h in enumerate(handles):
            if h is None or viewers[i]["done"] is not None:
                continue
            st = h.status()
            if st.is_seeding:
                viewers[i]["done"] = round(now(), 3)
                emit("done", viewer=i, secs=round(viewers[i]["done"] - viewers[i]["arrived"], 3))
        if all(v["done"] is not None for v in viewers):
            break
        time.sleep(0.1)
    for i, h in enumerate(handles):
        if h is None:
            continue
        st = h.status()
        viewers[i]["payload_down"] = st.total_payload_download
        viewers[i]["payload_up"] = st.total_payload_upload
        viewers[i]["progress"] = round(st.progress, 4)
    # Correct data: every file of every viewer that finished against the torrent's own piece hashes
    # was checked by libtorrent; the video is also compared with the published file's SHA-256.
    if a.sha256:
        fs = ti.files()
        video = max(range(fs.num_files()), key=lambda k: fs.file_size(k))
        for i, v in enumerate(viewers):
            if v["done"] is None:
                continue
            path = os.path.join(a.dir, str(i), fs.file_path(video))
            hsh = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    hsh.update(chunk)
            v["ok"] = hsh.hexdigest() == a.sha256
    for i, s in enumerate(sessions):
        if s is not None:
            s.remove_torrent(handles[i])
    # The stopped announces (stop_tracker_timeout) before the sessions go.
    time.sleep(1.5)
    emit("summary", viewers=viewers)
    del sessions


if __name__ == "__main__":
    main()

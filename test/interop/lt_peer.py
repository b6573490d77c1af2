#!/usr/bin/python3
"""A libtorrent peer for fjord's interoperability tests (run with /usr/bin/python3: Debian's
python3-libtorrent imports only there).

  lt_peer.py create --file PATH --out T.torrent [--tracker URL] [--piece-size BYTES]
      Writes a v1-only single-file torrent (aria2 1.36 hashes v2 and hybrid torrents wrongly) and
      prints {"event": "created", "info_hash": HEX, ...}.

  lt_peer.py run --torrent T.torrent --save DIR --mode seed|leech [--tracker URL ...]
                 [--timeout S] [--reannounce S] [--linger] [--no-utp]
      Seeds or downloads T, finding peers only through the tracker, and prints one JSON object a
      line on stdout: "listening", "tracker_announce", "tracker_reply", "tracker_error",
      "peer_connect", "checked", "seeding", "finished", "progress", and last "exit" with ok true
      or false. It stops (announcing event=stopped) on SIGTERM, SIGINT, when stdin closes, after
      --timeout, or, for a leecher without --linger, once the download has finished.

Why the settings below: the tests must fail if fjord's tracker does not work, so every other way
for peers to find each other is closed. lt.session(settings, 0) loads no default plugins (no
ut_pex, no ut_metadata), DHT, LSD, UPnP and NAT-PMP are off, the torrent carries the disable_dht,
disable_lsd and disable_pex flags, and no peer is ever added by hand.
"""
import argparse
import hashlib
import json
import os
import select
import signal
import sys
import time

import libtorrent as lt


def emit(event, **fields):
    fields["event"] = event
    fields["t"] = round(time.monotonic() - START, 3)
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


START = time.monotonic()


def create(args):
    fs = lt.file_storage()
    lt.add_files(fs, args.file)
    # v1_only: the torrent all three clients read the same way (see the module docstring).
    ct = lt.create_torrent(fs, args.piece_size, flags=lt.create_torrent.v1_only)
    for i, url in enumerate(args.tracker or []):
        ct.add_tracker(url, i)
    ct.set_creator("fjord interop test")
    lt.set_piece_hashes(ct, os.path.dirname(os.path.abspath(args.file)))
    data = lt.bencode(ct.generate())
    with open(args.out, "wb") as f:
        f.write(data)
    ti = lt.torrent_info(args.out)
    if ti.info_hashes().has_v2():
        raise SystemExit("expected a v1-only torrent")
    v1 = str(ti.info_hashes().v1)
    # The info hash is SHA-1 of the bencoded info dictionary; check libtorrent agrees with
    # hashing the bytes ourselves, so the whitelist gets the hash every client computes.
    info = lt.bencode(lt.bdecode(data)[b"info"])
    if hashlib.sha1(info).hexdigest() != v1:
        raise SystemExit("info hash mismatch between libtorrent and sha1(info)")
    emit("created", info_hash=v1, name=ti.name(), pieces=ti.num_pieces(), size=ti.total_size())


def make_session(args):
    settings = {
        "listen_interfaces": "127.0.0.1:0",
        "outgoing_interfaces": "127.0.0.1",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        # Every peer in the test is on 127.0.0.1, told apart only by port.
        "allow_multiple_connections_per_ip": True,
        # Keep shutdown short: the stopped announce gets 2 s.
        "stop_tracker_timeout": 8,
        # libtorrent's floor on the tracker's interval is 5 minutes by default; the tests run the
        # tracker with a short interval and want it honoured, so the peers stay in the swarm.
        "min_announce_interval": 1,
        "alert_mask": int(
            lt.alert.category_t.status_notification
            | lt.alert.category_t.error_notification
            | lt.alert.category_t.tracker_notification
            | lt.alert.category_t.connect_notification
            | lt.alert.category_t.peer_notification
        ),
    }
    if args.no_utp:
        # aria2 and the tests' Transmission speak TCP only.
        settings["enable_outgoing_utp"] = False
        settings["enable_incoming_utp"] = False
    # flags 0: no default plugins, so no ut_pex.
    return lt.session(settings, 0)


STOP = False


def on_signal(_signum, _frame):
    global STOP
    STOP = True


def run(args):
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    ses = make_session(args)
    ti = lt.torrent_info(args.torrent)
    atp = lt.add_torrent_params()
    atp.ti = ti
    atp.save_path = args.save
    atp.flags |= (
        lt.torrent_flags.disable_dht | lt.torrent_flags.disable_lsd | lt.torrent_flags.disable_pex
    )
    # Not seed_mode: a seeder's file is hash-checked like any other. Not auto-managed: the torrent
    # starts at once instead of waiting in libtorrent's queue.
    atp.flags &= ~lt.torrent_flags.auto_managed
    atp.flags &= ~lt.torrent_flags.paused
    if args.tracker:
        atp.trackers = args.tracker
    h = ses.add_torrent(atp)
    emit("listening", port=ses.listen_port(), info_hash=str(ti.info_hashes().v1))

    deadline = time.monotonic() + args.timeout
    next_reannounce = time.monotonic() + args.reannounce if args.reannounce else None
    next_progress = time.monotonic() + 1
    finished = False
    seeding_reported = False
    ok = True
    reason = "stopped"
    stdin_open = not sys.stdin.isatty()

    while not STOP and ok:
        now = time.monotonic()
        if now > deadline:
            ok, reason = finished or args.mode == "seed", "timeout"
            break
        if stdin_open:
            # The test closes our stdin (or dies) to stop us: a parent that crashes never leaves
            # a seeder running.
            r, _, _ = select.select([sys.stdin], [], [], 0)
            if r and not sys.stdin.buffer.read1(4096):
                reason = "stdin closed"
                break
        for a in ses.pop_alerts():
            if isinstance(a, lt.tracker_announce_alert):
                emit("tracker_announce", url=a.tracker_url(), kind=int(a.event))
            elif isinstance(a, lt.tracker_reply_alert):
                emit("tracker_reply", url=a.tracker_url(), peers=a.num_peers)
            elif isinstance(a, lt.tracker_error_alert):
                emit("tracker_error", url=a.tracker_url(), message=a.message())
            elif isinstance(a, lt.tracker_warning_alert):
                emit("tracker_warning", url=a.tracker_url(), message=a.message())
            elif isinstance(a, lt.peer_connect_alert):
                ip, port = a.endpoint
                emit("peer_connect", ip=ip, port=port)
            elif isinstance(a, lt.peer_disconnected_alert):
                ip, port = a.endpoint
                emit("peer_disconnected", ip=ip, port=port, message=a.message())
            elif isinstance(a, lt.torrent_checked_alert):
                st = h.status()
                emit("checked", progress=st.progress, seeding=st.is_seeding)
                if args.mode == "seed" and not st.is_seeding:
                    # A seeder whose file fails the check is a broken set-up, not a tracker
                    # problem: say so instead of timing out later.
                    ok, reason = False, "seed data failed the hash check"
            elif isinstance(a, lt.torrent_finished_alert):
                if args.mode == "leech" and not finished:
                    finished = True
                    emit("finished", total_done=h.status().total_done)
            elif isinstance(a, lt.torrent_error_alert):
                emit("torrent_error", message=a.message())
                ok, reason = False, "torrent error"
        st = h.status()
        if st.is_seeding and not seeding_reported:
            seeding_reported = True
            emit("seeding", total_done=st.total_done)
        if now >= next_progress:
            next_progress = now + 1
            emit(
                "progress",
                progress=round(st.progress, 4),
                peers=st.num_peers,
                seeds=st.num_seeds,
                state=str(st.state),
            )
        if next_reannounce is not None and now >= next_reannounce:
            next_reannounce = now + args.reannounce
            # Ask the tracker again: a peer that discards loopback addresses from tracker
            # replies (Transmission) can only be reached by us connecting to it.
            h.force_reannounce(0, -1, lt.reannounce_flags_t.ignore_min_interval)
        if finished and args.mode == "leech" and not args.linger:
            reason = "finished"
            break
        ses.wait_for_alert(200)

    # Stop cleanly: pausing the torrent announces event=stopped, which the tests count on.
    h.pause()
    # Generous: under a loaded machine the stopped announce (and its UDP connect) can take seconds.
    stop_deadline = time.monotonic() + 10
    stopping = stopped = False
    while time.monotonic() < stop_deadline and not stopped:
        ses.wait_for_alert(200)
        for a in ses.pop_alerts():
            if isinstance(a, lt.tracker_announce_alert):
                emit("tracker_announce", url=a.tracker_url(), kind=int(a.event))
                stopping = stopping or int(a.event) == 3
            elif isinstance(a, (lt.tracker_reply_alert, lt.tracker_error_alert)):
                emit("tracker_reply" if isinstance(a, lt.tracker_reply_alert) else "tracker_error",
                     url=a.tracker_url(), message=a.message())
                stopped = stopping
    st = h.status()
    if args.mode == "leech" and not finished:
        ok = False
    emit("exit", ok=ok, reason=reason, progress=st.progress, total_done=st.total_done)
    del ses
    sys.exit(0 if ok else 1)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("create")
    c.add_argument("--file", required=True)
    c.add_argument("--out", required=True)
    c.add_argument("--tracker", action="append")
    c.add_argument("--piece-size", type=int, default=64 * 1024)
    r = sub.add_parser("run")
    r.add_argument("--torrent", required=True)
    r.add_argument("--save", required=True)
    r.add_argument("--mode", choices=["seed", "leech"], required=True)
    r.add_argument("--tracker", action="append", help="replaces the torrent's trackers")
    r.add_argument("--timeout", type=float, default=60)
    r.add_argument("--reannounce", type=float, default=0, help="force an announce every S seconds")
    r.add_argument("--linger", action="store_true", help="a leecher keeps seeding once finished")
    r.add_argument("--no-utp", action="store_true")
    args = p.parse_args()
    if args.cmd == "create":
        create(args)
    else:
        run(args)


if __name__ == "__main__":
    main()

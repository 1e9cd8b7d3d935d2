#!/usr/bin/python3
"""Lab 09 reference in Python: socket activation, Type=notify, watchdog."""
import os
import signal
import socket
import sys
import syslog
import time

LISTEN_FD = 3


def notify(msg):
    path = os.environ.get("NOTIFY_SOCKET")
    if not path:
        return
    if path.startswith("@"):
        path = "\0" + path[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as s:
        try:
            s.sendto(msg.encode(), path)
        except OSError:
            pass


def serve(conn):
    conn.settimeout(2)
    buf = b""
    try:
        while b"\n" not in buf and len(buf) < 1024:
            b = conn.recv(1024)
            if not b:
                break
            buf += b
        if buf:
            conn.sendall(buf.upper())
    except OSError:
        pass
    finally:
        conn.close()


def main():
    syslog.openlog("mydaemon", syslog.LOG_PID, syslog.LOG_DAEMON)
    if os.environ.get("LISTEN_PID") != str(os.getpid()) or int(os.environ.get("LISTEN_FDS", "0")) < 1:
        syslog.syslog(syslog.LOG_ERR, "not socket-activated (LISTEN_FDS/LISTEN_PID): start mydaemon.socket")
        sys.exit(1)
    for k in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(k, None)
    lsock = socket.socket(fileno=LISTEN_FD)

    stop = []
    signal.signal(signal.SIGTERM, lambda s, f: stop.append(s))

    wd = 0.0
    if os.environ.get("WATCHDOG_USEC") and os.environ.get("WATCHDOG_PID", str(os.getpid())) == str(os.getpid()):
        wd = int(os.environ["WATCHDOG_USEC"]) / 2e6
    nxt = time.monotonic() + wd

    notify("READY=1\nSTATUS=serving on the socket systemd passed")
    syslog.syslog(syslog.LOG_INFO, "ready")
    lsock.settimeout(None)
    import select
    while not stop:
        timeout = None
        if wd:
            left = nxt - time.monotonic()
            if left <= 0:
                notify("WATCHDOG=1")
                nxt = time.monotonic() + wd
                left = wd
            timeout = left
        try:
            r, _, _ = select.select([lsock], [], [], timeout)
        except InterruptedError:
            continue
        if r:
            try:
                conn, _ = lsock.accept()
            except OSError:
                continue
            serve(conn)
    notify("STOPPING=1")
    syslog.syslog(syslog.LOG_INFO, "stopping")


if __name__ == "__main__":
    main()

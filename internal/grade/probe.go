package grade

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/internal/capture"
)

// python is the image's interpreter, on the read-only root file system.
// -I -S: no environment variables, no user or site directories, so
// nothing under a writable path (/usr/local, /root, /tmp) is imported.
var python = []string{"/usr/bin/python3", "-I", "-S", "-c"}

// procProbe is the grader's own client and /proc reader inside a lab
// container: it makes the connections and reads the process facts (which
// process holds which socket, its parent, its descriptors) from /proc,
// which the submission cannot remount. A process of another user is read
// by a child that takes that user's uid: root in the container has no
// CAP_SYS_PTRACE. It runs non-dumpable from its exec
// (containers.WithNonDumpable), first drops the group that gave it, which
// /proc would count against it (it stays non-dumpable, and says so once
// more), and prints one JSON object.
const procProbe = `
import os
os.setresgid(os.getgid(), os.getgid(), os.getgid())
import ctypes
ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: no process here may open our descriptors
import json, socket, sys, time

def hexport(s):
    return int(s.rsplit(":", 1)[1], 16)

def tcp():
    out = []
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(f).read().splitlines()[1:]
        except OSError:
            continue
        for l in lines:
            w = l.split()
            out.append((hexport(w[1]), hexport(w[2]), w[3], int(w[9])))
    return out

def status(pid):
    d = {}
    try:
        for l in open("/proc/%d/status" % pid):
            k, _, v = l.partition(":")
            d[k] = v.split()
    except OSError:
        return None
    return d

def cmdline(pid):
    try:
        return open("/proc/%d/cmdline" % pid, "rb").read().split(b"\0")
    except OSError:
        return []

def as_user(st, read):
    """read() in a child with the user and group of status st; its result
    as JSON, or None when the child printed none."""
    uid, gid = int(st["Uid"][1]), int(st["Gid"][1])
    rd, wr = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            os.close(rd)
            os.setgroups([])
            os.setgid(gid)
            os.setuid(uid)
            os.write(wr, json.dumps(read()).encode())
        finally:
            os._exit(0)
    os.close(wr)
    data = b""
    while True:
        b = os.read(rd, 65536)
        if not b:
            break
        data += b
    os.close(rd)
    os.waitpid(child, 0)
    try:
        return json.loads(data)
    except ValueError:
        return None

def links(pid, names):
    """readlink /proc/PID/NAME for each name, as the process's user if need be."""
    def read():
        out = {}
        for n in names:
            try:
                out[n] = os.readlink("/proc/%d/%s" % (pid, n))
            except OSError as e:
                out[n] = "error: " + e.strerror
        return out
    r = read()
    if not any(v.startswith("error: Permission") for v in r.values()):
        return r
    st = status(pid)
    if st is None:
        return r
    got = as_user(st, read)
    return r if got is None else got

def pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]

def alive(pid):
    st = status(pid)
    return st is not None and st.get("State", ["Z"])[0] != "Z"

def runs(pid, prog):
    # xinetd passes the program's base name as argv[0]; a script's kernel
    # exec puts the path after the interpreter.
    base = os.path.basename(prog).encode()
    return any(os.path.basename(a) == base for a in cmdline(pid)[:2])

def exact(pid, prog):
    """pid runs prog: its executable, or argv[0] or argv[1] (a script)."""
    a = cmdline(pid)
    if prog.encode() in a[:2]:
        return True
    try:
        return os.readlink("/proc/%d/exe" % pid) == prog
    except OSError:
        return False

def starttime(pid):
    try:
        s = open("/proc/%d/stat" % pid).read()
        return int(s[s.rindex(")") + 2:].split()[19])
    except (OSError, ValueError, IndexError):
        return 0

def procs(prog):
    out = []
    for p in pids():
        if p != os.getpid() and exact(p, prog) and alive(p):
            try:
                cg = open("/proc/%d/cgroup" % p).read()
            except OSError:
                cg = ""
            st = status(p) or {}
            out.append({"pid": p, "start": starttime(p), "ppid": int(st.get("PPid", ["0"])[0]), "cgroup": cg,
                        "args": [a.decode("utf-8", "replace") for a in cmdline(p)[:3]]})
    return out

def holder(inode, candidates):
    want = "socket:[%d]" % inode
    for pid in candidates:
        try:
            fds = os.listdir("/proc/%d/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == want:
                    return pid, int(fd)
            except OSError:
                pass
    return 0, -1

def proc(pid):
    st = status(pid) or {}
    ppid = int(st.get("PPid", ["0"])[0])
    l = links(pid, ["fd/0", "fd/1", "fd/3"])
    pl = links(ppid, ["exe"]) if ppid else {}
    try:
        cg = open("/proc/%d/cgroup" % pid).read()
    except OSError:
        cg = ""
    return {"pid": pid, "ppid": ppid, "uid": int(st.get("Uid", ["-1"])[0]), "parent_exe": pl.get("exe", ""),
            "fd0": l["fd/0"], "fd1": l["fd/1"], "fd3": l["fd/3"], "cgroup": cg,
            "args": [a.decode("utf-8", "replace") for a in cmdline(pid)[:3]]}

def listener(port):
    for lp, rp, st, ino in tcp():
        if lp == port and st == "0A":
            pid, fd = holder(ino, sorted(pids()))
            return {"inode": ino, "pid": pid, "fd": fd, "exe": links(pid, ["exe"])["exe"] if pid else ""}
    return None

def server_of(conn, port, prog, wait):
    """The process running prog whose fd 0 is the server end of conn."""
    cport = conn.getsockname()[1]
    deadline = time.time() + wait
    while True:
        ino = [i for lp, rp, st, i in tcp() if lp == port and rp == cport and st != "0A"]
        if ino:
            want = "socket:[%d]" % ino[0]
            for pid in pids():
                if runs(pid, prog) and alive(pid):
                    if links(pid, ["fd/0"])["fd/0"] == want:
                        p = proc(pid)
                        p["socket"] = want
                        return p
        if time.time() > deadline:
            return None
        time.sleep(0.02)

def hello(c):
    """Send a line on connection c and read the reply, up to a newline or EOF."""
    c.sendall(b"hello daemonlab\n")
    buf = b""
    while not buf.endswith(b"\n"):
        b = c.recv(4096)
        if not b:
            break
        buf += b
    return buf.decode("utf-8", "replace")

def super_(port, prog, n):
    out = {"listener": listener(port), "before": [p for p in pids() if runs(p, prog) and alive(p)]}
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    s = server_of(c, port, prog, 3.0)
    out["server"] = s
    try:
        out["reply"] = hello(c)
    except OSError as e:
        out["reply_error"] = str(e)
    c.close()
    if s:
        deadline = time.time() + 2.0
        while alive(s["pid"]) and time.time() < deadline:
            time.sleep(0.02)
        out["gone"] = not alive(s["pid"])
    conns = [socket.create_connection(("127.0.0.1", port), timeout=5) for i in range(n)]
    found = set()
    deadline = time.time() + 3.0
    for c in conns:
        p = server_of(c, port, prog, max(0.1, deadline - time.time()))
        if p:
            found.add(p["pid"])
    out["concurrent"] = sorted(found)
    for c in conns:
        c.close()
    return out

def ask(port, timeout, n):
    """n clients at once, each sends a line and reads its reply."""
    t0 = time.time()
    out = []
    conns = []
    for i in range(n):
        try:
            conns.append(socket.create_connection(("127.0.0.1", port), timeout=timeout))
        except OSError as e:
            out.append({"error": "connect: " + str(e)})
    for c in conns:
        try:
            c.settimeout(max(0.1, timeout - (time.time() - t0)))
            out.append({"reply": hello(c)})
        except OSError as e:
            out.append({"error": str(e) or e.__class__.__name__})
        c.close()
    return {"answers": out, "seconds": time.time() - t0}

def fdinfo(pid):
    """pid's descriptors, and those that are listening TCP sockets."""
    listening = {i for lp, rp, st, i in tcp() if st == "0A"}
    names = []
    try:
        names = ["fd/" + f for f in os.listdir("/proc/%d/fd" % pid)]
    except PermissionError:
        st = status(pid)
        if st is not None:
            got = as_user(st, lambda: os.listdir("/proc/%d/fd" % pid))
            if got is None:
                return {"error": "unreadable"}
            names = ["fd/" + f for f in got]
    except OSError as e:
        return {"error": str(e)}
    l = links(pid, names)
    if any(v.startswith("error: Permission") for v in l.values()):
        return {"error": "permission denied"}
    fds = {k[3:]: v for k, v in l.items()}
    own = {fd: v for fd, v in fds.items() if v.startswith("socket:[") and int(v[8:-1]) in listening}
    return {"fds": fds, "listening": own}

mode = sys.argv[1]
if mode == "super":
    print(json.dumps(super_(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))))
elif mode == "listener":
    print(json.dumps(listener(int(sys.argv[2]))))
elif mode == "procs":
    print(json.dumps(procs(sys.argv[2])))
elif mode == "kill":
    # kill -9 one process, only if it still is the one seen (pid, start time)
    pid, start = int(sys.argv[2]), int(sys.argv[3])
    if starttime(pid) != start:
        print(json.dumps({"killed": False, "why": "pid %d is no longer the process seen" % pid}))
    else:
        os.kill(pid, 9)
        deadline = time.time() + 3
        while alive(pid) and starttime(pid) == start and time.time() < deadline:
            time.sleep(0.02)
        print(json.dumps({"killed": True}))
elif mode == "ask":
    print(json.dumps(ask(int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]))))
elif mode == "fds":
    print(json.dumps(fdinfo(int(sys.argv[2]))))
elif mode == "proc":
    print(json.dumps(proc(int(sys.argv[2]))))
`

// probeProc is one process as procProbe reads it.
type probeProc struct {
	PID       int      `json:"pid"`
	PPID      int      `json:"ppid"`
	UID       int      `json:"uid"`
	ParentExe string   `json:"parent_exe"`
	FD0       string   `json:"fd0"`
	FD1       string   `json:"fd1"`
	FD3       string   `json:"fd3"`
	Cgroup    string   `json:"cgroup"`
	Args      []string `json:"args"`
	Socket    string   `json:"socket"`
}

type probeListener struct {
	Inode int    `json:"inode"`
	PID   int    `json:"pid"`
	FD    int    `json:"fd"`
	Exe   string `json:"exe"`
}

// runProbe runs procProbe with args and decodes its JSON into v.
func (g *grader) runProbe(ctx context.Context, d time.Duration, v any, args ...string) error {
	cmd := append(append(append([]string{}, python...), procProbe), args...)
	res, err := g.c.Exec(ctx, cmd, containers.WithTimeout(d), containers.WithNonDumpable())
	if err != nil {
		return err
	}
	if res.ExitCode != 0 {
		return fmt.Errorf("the probe failed: %s", capture.Compact(res.Output))
	}
	// Exactly one JSON value and nothing else: a root process that reached
	// the probe's stdout before the probe made itself non-dumpable cannot
	// add a line of its own (nor kill the probe after writing one).
	dec := json.NewDecoder(strings.NewReader(res.Output))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the probe's output: %s", capture.Compact(res.Output))
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("the probe's output is not its own (more than one value): %s", capture.Compact(res.Output))
	}
	return nil
}

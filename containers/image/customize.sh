#!/bin/sh
# Adjusts a Debian root file system for running systemd as PID 1 in a container.
# Usage: customize.sh ROOT   (ROOT is "/" inside a Dockerfile RUN, the mmdebstrap
# target directory in a --customize-hook). Shared by both routes so they give the
# same image. Part of the recipe hash.
set -eu
root=${1:?usage: customize.sh ROOT}

# Units that cannot do anything useful in a container (no tty, no disks to trim,
# no apt network) or that would wake up during a grading run: masked (-> /dev/null),
# exactly what `systemctl mask` does, without needing systemctl on the host.
for unit in \
    console-getty.service getty@tty1.service getty-static.service \
    apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service \
    dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer \
    systemd-firstboot.service
do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

# Boot to multi-user.target: there is no display.
ln -sf /lib/systemd/system/multi-user.target "$root/etc/systemd/system/default.target"

# Empty machine-id: systemd generates a transient one per container at boot
# (every container gets its own id; nothing is committed to the image).
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
mkdir -p "$root/var/lib/dbus"
ln -sf /etc/machine-id "$root/var/lib/dbus/machine-id"

# The journal lives in /run (a tmpfs): journalctl -u UNIT works, nothing is kept
# after the container is removed, and its size is bounded.
mkdir -p "$root/etc/systemd/journald.conf.d"
cat > "$root/etc/systemd/journald.conf.d/daemonlab.conf" <<'CONF'
[Journal]
Storage=volatile
RuntimeMaxUse=16M
CONF

# Leave a marker so a grader can tell it runs in the daemonlab image.
echo "daemonlab systemd base image" > "$root/etc/daemonlab-image"

# The lab container runs with a read-only root file system: only the paths
# the grader mounts as size-limited tmpfs are writable (see containers/README.md,
# "Trust model"). A tmpfs starts empty, so the image keeps a copy of what those
# paths hold and /usr/lib/daemonlab/boot fills each writable one from it before
# it becomes systemd. A path that is not mounted writable stays as it is.
# mmdebstrap runs this hook before its own clean-up: drop apt's caches first,
# or every container would copy the downloaded packages into its /var.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/*
skel="$root/usr/lib/daemonlab/skel"
mkdir -p "$skel"
: > "$root/usr/lib/daemonlab/skel.list"
for p in /var /etc/systemd/system /root /usr/local/bin /etc/default \
    /etc/init.d /etc/rc0.d /etc/rc1.d /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d /etc/rc6.d /etc/rcS.d \
    /etc/xinetd.d /etc/cron.d
do
    [ -d "$root$p" ] || mkdir -p "$root$p"
    mkdir -p "$skel$(dirname "$p")"
    cp -a "$root$p" "$skel$p"
    echo "$p" >> "$root/usr/lib/daemonlab/skel.list"
done
cat > "$root/usr/lib/daemonlab/boot" <<'BOOT'
#!/bin/sh
# PID 1 of a daemonlab lab container until it execs systemd. A rebootable
# container (DAEMONLAB_BOOT_GATE set) first waits, at most a minute, for the
# grader to write its gate file: "fresh" at the first boot, "restored" on a
# reboot once the grader has put the disk back (containers/reboot.go).
# Every tool by absolute path, and a PATH without /usr/local: after a
# reboot the writable paths (/usr/local/bin among them) hold what the
# submission left there.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
state=fresh
if [ -n "${DAEMONLAB_BOOT_GATE:-}" ]; then
    i=0
    while [ ! -s /run/daemonlab-boot ] && [ "$i" -lt 600 ]; do
        /usr/bin/sleep 0.1
        i=$((i + 1))
    done
    read -r state < /run/daemonlab-boot 2>/dev/null || state=fresh
    /usr/bin/rm -f /run/daemonlab-boot
fi
unset DAEMONLAB_BOOT_GATE
# Fill each writable (tmpfs) path from the image's copy; read-only ones
# refuse quietly. A restored disk already holds what it held.
if [ "$state" != restored ]; then
    while read -r p; do
        /usr/bin/cp -a "/usr/lib/daemonlab/skel$p/." "$p/" 2>/dev/null || true
    done < /usr/lib/daemonlab/skel.list
fi
exec /lib/systemd/systemd "$@"
BOOT
chmod 0755 "$root/usr/lib/daemonlab/boot"

# The grader runs its readers (the checker, journalctl, the probe,
# systemd-analyze) under a setgid copy of timeout(1). An exec that leaves
# the effective gid unlike the real one makes the process non-dumpable from
# its first instruction (execve(2)): timeout, and the reader it starts with
# that gid, are then out of reach of every process of the container, root
# included (it has no CAP_SYS_PTRACE): none can open their descriptors or
# their memory through /proc. A prctl(PR_SET_DUMPABLE) in the program comes
# too late against a loop that watches /proc for new pids, and the plain
# timeout holding the same stdout stays open to it. The group,
# systemd-journal, is one no lab daemon runs as (the checker runs as the
# daemon's user, and must get a gid unlike its own); the checker and the
# probe drop it at once. The gid is read from the target's /etc/group: this
# may run on another host.
journal=$(awk -F: '$1 == "systemd-journal" { print $3 }' "$root/etc/group")
install -m 2755 -o 0 -g "${journal:?no systemd-journal group}" "$root/usr/bin/timeout" "$root/usr/lib/daemonlab/timeout"

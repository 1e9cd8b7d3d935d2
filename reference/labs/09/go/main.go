// Lab 09 reference in Go: socket activation (fd 3), Type=notify, watchdog.
// Standard library only: sd_listen_fds and sd_notify are a few lines each.
package main

import (
	"bufio"
	"bytes"
	"log/syslog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

const listenFD = 3

// passed keeps fd 3 referenced: an unreferenced *os.File is closed by its
// finalizer, and fd 3 must stay PID 1's socket in this process.
var passed *os.File

// notify sends one datagram to $NOTIFY_SOCKET, as sd_notify(3) does.
func notify(msg string) {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return
	}
	if path[0] == '@' {
		path = "\x00" + path[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return
	}
	defer c.Close()
	_, _ = c.Write([]byte(msg))
}

func serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	line, _ := bufio.NewReader(c).ReadBytes('\n')
	if len(line) > 0 {
		_, _ = c.Write(bytes.ToUpper(line))
	}
}

func main() {
	logw, _ := syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, "mydaemon")
	say := func(s string) {
		if logw != nil {
			_ = logw.Info(s)
		}
	}
	// sd_listen_fds(3): the descriptors are ours only if LISTEN_PID is us.
	if os.Getenv("LISTEN_PID") != strconv.Itoa(os.Getpid()) || os.Getenv("LISTEN_FDS") == "" || os.Getenv("LISTEN_FDS") == "0" {
		say("not socket-activated (LISTEN_FDS/LISTEN_PID): start mydaemon.socket")
		os.Exit(1)
	}
	for _, k := range []string{"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"} {
		os.Unsetenv(k)
	}
	passed = os.NewFile(listenFD, "systemd-listener")
	ln, err := net.FileListener(passed) // a dup of fd 3; fd 3 itself stays open
	if err != nil {
		say("fd 3 is not a listening socket: " + err.Error())
		os.Exit(1)
	}
	conns := make(chan net.Conn)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				continue
			}
			conns <- c
		}
	}()

	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	var tick <-chan time.Time
	if us, err := strconv.Atoi(os.Getenv("WATCHDOG_USEC")); err == nil && us > 0 &&
		(os.Getenv("WATCHDOG_PID") == "" || os.Getenv("WATCHDOG_PID") == strconv.Itoa(os.Getpid())) {
		tick = time.NewTicker(time.Duration(us) * time.Microsecond / 2).C
	}
	notify("READY=1\nSTATUS=serving on the socket systemd passed")
	say("ready")
	// The main loop pings the watchdog: when it is stuck, the pings stop.
	for {
		select {
		case c := <-conns:
			serve(c)
		case <-tick:
			notify("WATCHDOG=1")
		case <-term:
			notify("STOPPING=1")
			say("stopping")
			return
		}
	}
}

package grade

import "testing"

const lab07 = "reference/labs/07/"

var lab07ref = handIn{
	files: map[string]string{"mydaemon.c": textbook, "mydaemon.init": lab07 + "mydaemon.init"},
	text:  map[string]string{"Makefile": "mydaemon: mydaemon.c\n\tcc -O2 -D_GNU_SOURCE -std=c11 -o mydaemon mydaemon.c\n"},
}

func init07(broken string) handIn {
	return lab07ref.with(map[string]string{"mydaemon.init": lab07 + "broken/" + broken}, nil)
}

func TestLab07Matrix(t *testing.T) {
	requireEngine(t)
	py := handIn{files: map[string]string{"mydaemon.py": "reference/python/refdaemon.py", "mydaemon.init": lab07 + "mydaemon.init"}}
	runMatrix(t, "07", []mutation{
		{"C reference", lab07ref, nil},
		{"Python reference", py, nil},
		{"no Default-Stop", init07("no-default-stop.init"), []string{"lsb-header"}},
		{"start not idempotent", init07("start-not-idempotent.init"), []string{"sysv-start"}},
		{"status trusts the pid file", init07("status-pidfile-only.init"), []string{"sysv-status"}},
		{"reload restarts", init07("reload-restarts.init"), []string{"sysv-reload"}},
		{"restart only reloads", init07("restart-reloads.init"), []string{"sysv-restart"}},
		{"stop not idempotent", init07("stop-not-idempotent.init"), []string{"sysv-stop"}},
		{"unknown action exits 1", init07("usage-exit-1.init"), []string{"sysv-usage"}},
		{"no /lib/lsb/init-functions", init07("no-init-functions.init"), []string{"sysv-service"}},
		// hostile too: systemd's unit is no longer the one made from the script
		{"a unit of its own", init07("own-unit.init"), []string{"sysv-service"}},
	})
}

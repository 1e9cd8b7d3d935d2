package grade

import "testing"

const lab09 = "reference/labs/09/"

var lab09ref = reference(lab09, "mydaemon.c", "mydaemon.socket", "mydaemon.service")

func TestLab09Matrix(t *testing.T) {
	requireEngine(t)
	runMatrix(t, "09", []mutation{
		{"C reference", lab09ref, nil},
		{"Go reference", lab09ref.port("mydaemon.c", map[string]string{"go.mod": lab09 + "go/go.mod", "main.go": lab09 + "go/main.go"}), nil},
		{"Python reference", lab09ref.port("mydaemon.c", map[string]string{"mydaemon.py": lab09 + "mydaemon.py"}), nil},
		{"socket pulls the service in", lab09ref.with(map[string]string{"mydaemon.socket": lab09 + "broken/eager.socket"}, nil), []string{"socket-activation"}},
		{"a listener of its own", lab09ref.with(nil, map[string]string{"Makefile": "mydaemon: mydaemon.c\n\tcc -O2 -DOWN_LISTENER -o mydaemon mydaemon.c\n"}), []string{"listen-fds"}},
		{"Type=simple", lab09ref.with(map[string]string{"mydaemon.service": lab09 + "broken/simple.service"}, nil), []string{"notify-ready"}},
		{"no Restart=", lab09ref.with(map[string]string{"mydaemon.service": lab09 + "broken/no-restart.service"}, nil), []string{"watchdog"}},
		{"no hardening", lab09ref.with(map[string]string{"mydaemon.service": lab09 + "broken/unhardened.service"}, nil), []string{"hardening"}},
	})
}

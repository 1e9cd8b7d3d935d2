package grade

import "testing"

const lab09 = "reference/labs/09/"

var lab09ref = handIn{files: map[string]string{
	"mydaemon.c":       lab09 + "mydaemon.c",
	"mydaemon.socket":  lab09 + "mydaemon.socket",
	"mydaemon.service": lab09 + "mydaemon.service",
}}

func TestLab09Matrix(t *testing.T) {
	requireEngine(t)
	py := lab09ref.with(map[string]string{"mydaemon.py": lab09 + "mydaemon.py"}, nil)
	delete(py.files, "mydaemon.c")
	gosrc := lab09ref.with(map[string]string{"go.mod": lab09 + "go/go.mod", "main.go": lab09 + "go/main.go"}, nil)
	delete(gosrc.files, "mydaemon.c")
	runMatrix(t, "09", []mutation{
		{"C reference", lab09ref, nil},
		{"Go reference", gosrc, nil},
		{"Python reference", py, nil},
		{"socket pulls the service in", lab09ref.with(map[string]string{"mydaemon.socket": lab09 + "broken/eager.socket"}, nil), []string{"socket-activation"}},
		{"a listener of its own", lab09ref.with(nil, map[string]string{"Makefile": "mydaemon: mydaemon.c\n\tcc -O2 -DOWN_LISTENER -o mydaemon mydaemon.c\n"}), []string{"listen-fds"}},
		{"Type=simple", lab09ref.with(map[string]string{"mydaemon.service": lab09 + "broken/simple.service"}, nil), []string{"notify-ready"}},
		{"no Restart=", lab09ref.with(map[string]string{"mydaemon.service": lab09 + "broken/no-restart.service"}, nil), []string{"watchdog"}},
		{"no hardening", lab09ref.with(map[string]string{"mydaemon.service": lab09 + "broken/unhardened.service"}, nil), []string{"hardening"}},
	})
}

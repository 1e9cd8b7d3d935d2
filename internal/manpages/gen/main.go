// Command gen writes daemonlab's man pages: go run ./internal/manpages/gen DIR.
package main

import (
	"fmt"
	"os"

	"github.com/daemonlab/daemonlab/internal/manpages"
)

func main() {
	dir := "man/man1"
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	if err := manpages.Generate(dir); err != nil {
		fmt.Fprintf(os.Stderr, "daemonlab: man pages: %v\n", err)
		os.Exit(1)
	}
}

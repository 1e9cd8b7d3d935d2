// Lab 06 reference in Go: stdin and stdout are the client's connection.
package main

import (
	"bufio"
	"bytes"
	"os"
)

func main() {
	line, err := bufio.NewReader(os.Stdin).ReadBytes('\n')
	if len(line) == 0 {
		_ = err
		os.Exit(1)
	}
	os.Stdout.Write(bytes.ToUpper(line))
}

// Command daemonlab teaches and grades Unix daemons.
package main

import (
	"github.com/daemonlab/daemonlab/internal/cli/root"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
)

func main() { cmdutil.RunMain(root.Main) }

// Command daemonlab-grade runs daemonlab's container commands: grade and
// image. `daemonlab grade` and `daemonlab image` hand over to it.
package main

import (
	"github.com/daemonlab/daemonlab/internal/cli/graderoot"
	"github.com/daemonlab/daemonlab/internal/cmdutil"
)

func main() { cmdutil.RunMain(graderoot.Main) }

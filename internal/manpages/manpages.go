// Package manpages generates daemonlab's man pages from its commands
// (`make man`): one page per command, daemonlab(1), daemonlab-check(1),
// ... The container commands (grade, image, sandbox, labs validate) are
// stubs in the daemonlab binary that hand over to daemonlab-grade; their
// pages are made from the real commands, under the daemonlab name, so
// each page documents every flag.
package manpages

import (
	"os"
	"path/filepath"
	"time"

	"github.com/daemonlab/daemonlab/internal/cli/graderootcmd"
	"github.com/daemonlab/daemonlab/internal/cli/rootcmd"
	"github.com/daemonlab/daemonlab/internal/iostreams"
	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Tree is the daemonlab command tree as documented: daemonlab's own
// commands, with the stubs replaced by daemonlab-grade's commands.
func Tree() *cobra.Command {
	ios, _, _, _ := iostreams.Test()
	top := rootcmd.NewCmdRoot(ios)
	grade := graderootcmd.NewCmdRoot(ios)
	for _, real := range grade.Commands() {
		switch real.Name() {
		case "grade", "image", "sandbox":
			if stub := find(top, real.Name()); stub != nil {
				top.RemoveCommand(stub)
			}
			grade.RemoveCommand(real)
			top.AddCommand(real)
		case "labs":
			labs := find(top, "labs")
			for _, sub := range real.Commands() {
				if stub := find(labs, sub.Name()); stub != nil {
					labs.RemoveCommand(stub)
				}
				real.RemoveCommand(sub)
				labs.AddCommand(sub)
			}
		}
	}
	return top
}

func find(parent *cobra.Command, name string) *cobra.Command {
	for _, c := range parent.Commands() {
		if c.Name() == name {
			return c
		}
	}
	return nil
}

// Generate writes the man pages (section 1) into dir.
func Generate(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	top := Tree()
	top.DisableAutoGenTag = true
	// A fixed date keeps the pages reproducible.
	date := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	header := &doc.GenManHeader{Title: "DAEMONLAB", Section: "1", Source: "daemonlab", Manual: "daemonlab manual", Date: &date}
	if err := doc.GenManTree(top, header, dir); err != nil {
		return err
	}
	// Help topics (daemonlab help exit-codes) get a page of their own too.
	for _, c := range top.Commands() {
		if c.IsAdditionalHelpTopicCommand() {
			f, err := os.Create(filepath.Join(dir, "daemonlab-"+c.Name()+".1"))
			if err != nil {
				return err
			}
			h := *header
			if err := doc.GenMan(c, &h, f); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
		}
	}
	return nil
}

package containers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"
)

// A reboot as a machine reboots: everything that runs is stopped (systemd
// shuts down on the stop signal), what lives in RAM on a real machine (/run,
// /tmp) starts empty, and the disk — every other writable path — keeps what
// it held. The writable paths are tmpfs, which a container restart empties,
// so the grader saves the disk before the stop and puts it back while the
// image's boot script waits at its gate, before systemd starts.

// bootGate is the file the boot script waits for (customize.sh).
const bootGate = "/run/daemonlab-boot"

// ErrNotRebootable is returned by Reboot for a container started without
// Options.Rebootable.
var ErrNotRebootable = errors.New("the container was not started rebootable")

// volatile tells whether a writable path is RAM on a real machine.
func volatile(p string) bool {
	return p == "/tmp" || p == "/run" || strings.HasPrefix(p, "/run/")
}

// disk returns the writable paths that survive a reboot, relative to /
// (sorted), and an upper bound of the bytes a tar of them may take.
func (c *Container) disk() ([]string, int64) {
	var paths []string
	var size int64 = 64 << 20 // tar headers and padding
	for p, opt := range c.opts.Writable {
		if volatile(p) {
			continue
		}
		paths = append(paths, strings.TrimPrefix(p, "/"))
		size += tmpfsSize(opt)
	}
	slices.Sort(paths)
	return paths, size
}

// tmpfsSize reads size=N[kmg] from tmpfs options; 0 when absent.
func tmpfsSize(opts string) int64 {
	for _, o := range strings.Split(opts, ",") {
		v, ok := strings.CutPrefix(o, "size=")
		if !ok || v == "" {
			continue
		}
		mult := int64(1)
		switch v[len(v)-1] {
		case 'k', 'K':
			mult = 1 << 10
		case 'm', 'M':
			mult = 1 << 20
		case 'g', 'G':
			mult = 1 << 30
		}
		if mult != 1 {
			v = v[:len(v)-1]
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			return n * mult
		}
	}
	return 0
}

// openGate lets the waiting boot script go on: "fresh" fills the writable
// paths from the image, "restored" keeps what the grader put back.
func (c *Container) openGate(ctx context.Context, state string) error {
	res, err := c.Exec(ctx, []string{"/bin/sh", "-c", "echo " + state + " > " + bootGate}, WithTimeout(10*time.Second))
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("exit %d: %s", res.ExitCode, res.Output)
	}
	if err != nil {
		return fmt.Errorf("open the boot gate of %.12s: %w", c.id, err)
	}
	return nil
}

// Reboot restarts a rebootable container as a machine reboots (see above)
// and waits, within Options.StartTimeout, until systemd is up again.
// SystemState and FailedUnits describe the new boot.
func (c *Container) Reboot(ctx context.Context) error {
	return c.RebootWith(ctx, nil)
}

// RebootWith is Reboot with beforeBoot run once the disk is back and before
// systemd starts: nothing of the previous boot runs then, so what it puts
// on the disk (or takes off it) is what the new boot starts from.
func (c *Container) RebootWith(ctx context.Context, beforeBoot func(context.Context) error) error {
	if !c.opts.Rebootable {
		return ErrNotRebootable
	}
	saved, err := os.CreateTemp("", "daemonlab-disk-")
	if err != nil {
		return err
	}
	defer os.Remove(saved.Name())
	defer saved.Close()

	paths, limit := c.disk()
	res, err := c.Exec(ctx, append([]string{tarBin, "-C", "/", "--numeric-owner", "-cf", "-"}, paths...),
		WithStdout(&limitWriter{w: saved, left: limit}), WithTimeout(copyTimeout), WithMaxOutput(4096))
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("tar exit %d: %s", res.ExitCode, res.Output)
	}
	if err != nil {
		return fmt.Errorf("save the disk of %.12s: %w", c.id, err)
	}

	cli, err := dockerClient()
	if err != nil {
		return err
	}
	grace := int(StopGrace / time.Second)
	if _, err := cli.ContainerStop(ctx, c.id, client.ContainerStopOptions{Timeout: &grace}); err != nil {
		return fmt.Errorf("stop %.12s: %w", c.id, err)
	}
	if c.cgroup != nil {
		if err := c.cgroup.prepare(c.id); err != nil {
			return err
		}
	}
	begin := time.Now()
	if _, err := cli.ContainerStart(ctx, c.id, client.ContainerStartOptions{}); err != nil {
		return fmt.Errorf("start %.12s again: %w", c.id, err)
	}
	if _, err := saved.Seek(0, io.SeekStart); err != nil {
		return err
	}
	res, err = c.Exec(ctx, []string{tarBin, "-x", "-p", "--same-owner", "--numeric-owner", "-C", "/", "-f", "-"},
		WithStdin(saved), WithTimeout(copyTimeout), WithMaxOutput(4096))
	if err == nil && res.ExitCode != 0 {
		err = fmt.Errorf("tar exit %d: %s", res.ExitCode, res.Output)
	}
	if err != nil {
		return fmt.Errorf("restore the disk of %.12s: %w", c.id, err)
	}
	if beforeBoot != nil {
		if err := beforeBoot(ctx); err != nil {
			return fmt.Errorf("before the boot of %.12s: %w", c.id, err)
		}
	}
	if err := c.openGate(ctx, "restored"); err != nil {
		return err
	}
	c.SystemState, c.FailedUnits = "", nil
	return c.waitReady(ctx, begin.Add(c.opts.StartTimeout))
}

// limitWriter fails once more than left bytes are written.
type limitWriter struct {
	w    io.Writer
	left int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		return 0, fmt.Errorf("more than the writable paths can hold: %w", ErrTooLarge)
	}
	l.left -= int64(len(p))
	return l.w.Write(p)
}

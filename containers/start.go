package containers

import (
	"context"
	"fmt"
	"io"
	stdlog "log"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

const (
	// LabelKey marks every container this package starts (value "1").
	// RemoveLeftovers removes whatever carries it.
	LabelKey = "org.daemonlab.run"
	// LabelPID records the pid of the process that started the container.
	LabelPID = "org.daemonlab.pid"
	// LabelExpires records when the watchdog terminates the container (RFC 3339, UTC).
	LabelExpires = "org.daemonlab.expires"

	// StopSignal makes systemd (PID 1) shut down at once; it ignores SIGTERM.
	StopSignal = "SIGRTMIN+3"
	// StopGrace is how long Terminate waits after StopSignal before SIGKILL
	// (whole seconds: the engine API counts in seconds). systemd normally
	// stops in about 0.2 s; one that cannot (fork bomb at the pids limit)
	// is killed after this.
	StopGrace = 1 * time.Second

	DefaultPidsLimit    = 512
	DefaultMemoryBytes  = 512 << 20
	DefaultNanoCPUs     = 1_000_000_000
	DefaultStartTimeout = 30 * time.Second
	DefaultMaxLifetime  = 5 * time.Minute
)

// Options configure one container. Zero values take the defaults.
type Options struct {
	// Image to run; "" means ImageTag() (call EnsureImage first).
	Image string
	// Network documents whether the lab needs networking. Either way the
	// container runs with network mode "none": no interface but loopback, no
	// route out. Loopback (127.0.0.1, ::1) works in that mode, which is all a
	// lab needs for a daemon that listens and a probe that connects; there is
	// deliberately no setting that gives a submission the outside network.
	Network bool
	// PidsLimit caps the number of tasks in the container (default 512): a
	// fork bomb hits it and the host is unaffected.
	PidsLimit int64
	// MemoryBytes caps memory; swap is capped to the same value, i.e. no swap
	// (default 512 MiB). Writes to the tmpfs paths count against it too.
	MemoryBytes int64
	// NanoCPUs caps CPU time, 1e9 = one CPU (default 1 CPU).
	NanoCPUs int64
	// StartTimeout bounds the time until systemd reports running/degraded
	// (default 30 s).
	StartTimeout time.Duration
	// MaxLifetime is the outer watchdog: the container is terminated when it
	// has existed this long, even if the caller is stuck (default 5 min).
	MaxLifetime time.Duration
	// Labels are added to the container next to LabelKey.
	Labels map[string]string
	// Log receives testcontainers-go's progress messages; nil discards them.
	Log io.Writer
	// Writable lists the only writable paths, each a tmpfs of the given
	// options ("size=64m,mode=0755"); the root file system is read-only.
	// nil means SystemdWritable (or PlainWritable with Plain).
	Writable map[string]string
	// ReadOnly binds host paths read-only: container path -> host path (the
	// grader's checker, a Go toolchain). Nothing else of the host is mounted.
	ReadOnly map[string]string
	// Rebootable lets Reboot restart the container as a machine reboots:
	// its boot script waits at a gate for the grader (reboot.go).
	Rebootable bool
	// Plain runs Cmd (default: sleep forever) instead of systemd and skips
	// the readiness wait: the build container.
	Plain bool
	Cmd   []string
}

// SystemdWritable are the writable paths of a lab container; the image's
// boot script fills each from its copy of the image's content.
var SystemdWritable = map[string]string{
	"/run":                "size=64m,mode=0755",
	"/run/lock":           "size=4m,mode=1777",
	"/tmp":                "size=64m,mode=1777",
	"/var":                "size=128m,mode=0755",
	"/etc/systemd/system": "size=8m,mode=0755",
	"/root":               "size=16m,mode=0700",
	"/usr/local/bin":      "size=64m,mode=0755",
}

// PlainWritable are the writable paths of a build container.
var PlainWritable = map[string]string{
	"/build": "size=256m,mode=0777",
	"/tmp":   "size=512m,mode=1777",
}

// BootCmd is PID 1 of a lab container: it fills the writable paths, then
// execs systemd (containers/image/customize.sh).
var BootCmd = []string{"/usr/lib/daemonlab/boot"}

func (o *Options) defaults() {
	if o.Image == "" {
		o.Image = ImageTag()
	}
	if o.PidsLimit <= 0 {
		o.PidsLimit = DefaultPidsLimit
	}
	if o.MemoryBytes <= 0 {
		o.MemoryBytes = DefaultMemoryBytes
	}
	if o.NanoCPUs <= 0 {
		o.NanoCPUs = DefaultNanoCPUs
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.MaxLifetime <= 0 {
		o.MaxLifetime = DefaultMaxLifetime
	}
	if o.Writable == nil {
		o.Writable = SystemdWritable
		if o.Plain {
			o.Writable = PlainWritable
		}
	}
	if len(o.Cmd) == 0 {
		o.Cmd = BootCmd
		if o.Plain {
			o.Cmd = []string{"/usr/bin/sleep", "infinity"}
		}
	}
}

var quietOnce sync.Once

// Container is one running systemd container. All methods are safe for
// concurrent use.
type Container struct {
	tc     *testcontainers.DockerContainer
	id     string
	opts   Options
	cgroup *ownCgroup

	// SystemState is what `systemctl is-system-running` said when the
	// container became ready: "running" or "degraded".
	SystemState string
	// FailedUnits lists the failed units when SystemState is "degraded".
	FailedUnits []string
	// StartDuration is from the create request to systemd being ready.
	StartDuration time.Duration

	termOnce     sync.Once
	termDone     chan struct{}
	termErr      error
	teardown     time.Duration
	expired      bool
	watchdogStop chan struct{}
}

// ID is the Docker container id.
func (c *Container) ID() string { return c.id }

// Options returns the options the container was started with (defaults filled in).
func (c *Container) Options() Options { return c.opts }

// Expired reports whether the watchdog terminated the container.
func (c *Container) Expired() bool {
	select {
	case <-c.termDone:
		return c.expired
	default:
		return false
	}
}

// Start creates and starts one fresh container from opts.Image with systemd as
// PID 1 (or opts.Cmd with Plain) and waits until `systemctl is-system-running`
// says running or degraded (failed units are recorded), within
// opts.StartTimeout. The container is tracked for CleanupAll and watched by
// the MaxLifetime watchdog. On error nothing is left behind.
//
// Flags: read-only root file system with size-limited tmpfs writable paths,
// no added capabilities, never privileged, default seccomp profile; network
// mode none; pids, memory (no swap) and CPU limits; a capped container log;
// stop signal SIGRTMIN+3; a private cgroup namespace whose only writable
// cgroup is the container's own (see cgroup.go and README.md).
func Start(ctx context.Context, opts Options) (*Container, error) {
	opts.defaults()
	begin := time.Now()
	cgv, err := CgroupVersion(ctx)
	if err != nil {
		return nil, err
	}
	cli, err := dockerClient()
	if err != nil {
		return nil, err
	}
	// Without this check testcontainers-go would try to pull, which fails
	// slowly and obscurely on machines without a registry.
	if ok, err := imageExists(ctx, cli, opts.Image); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("image %s is not in the engine: build it first (containers.EnsureImage)", opts.Image)
	}
	sweepExpired()
	var cg *ownCgroup
	if !opts.Plain && cgv == "1" {
		if cg, err = newOwnCgroup(ctx); err != nil {
			return nil, err
		}
	}
	labels := map[string]string{}
	for k, v := range opts.Labels {
		labels[k] = v
	}
	labels[LabelKey] = "1"
	labels[LabelPID] = strconv.Itoa(os.Getpid())
	labels[LabelExpires] = begin.Add(opts.MaxLifetime).UTC().Format(time.RFC3339)

	var logger tclog.Logger = tclog.NewNoopLogger()
	if opts.Log == nil {
		// testcontainers-go prints a connection banner through its default
		// logger once per process; keep the CLI's stderr clean.
		quietOnce.Do(func() { tclog.SetDefault(tclog.NewNoopLogger()) })
	} else {
		logger = stdlog.New(opts.Log, "", stdlog.LstdFlags)
	}
	stopSignal := StopSignal
	if opts.Plain {
		stopSignal = "SIGKILL" // PID 1 is sleep: nothing to shut down
	}
	customize := []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(logger),
		testcontainers.WithCmd(opts.Cmd...),
		testcontainers.WithLabels(labels),
		testcontainers.WithConfigModifier(func(cfg *container.Config) {
			cfg.StopSignal = stopSignal
			cfg.Env = append(cfg.Env, "container=docker")
			if opts.Rebootable {
				cfg.Env = append(cfg.Env, "DAEMONLAB_BOOT_GATE=1")
			}
			cfg.Tty = false
		}),
		testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) { hostConfig(hc, opts, cg) }),
	}
	if cg != nil {
		// The container's cgroup exists only once its id is known: prepare
		// it between create and start.
		customize = append(customize, testcontainers.WithAdditionalLifecycleHooks(testcontainers.ContainerLifecycleHooks{
			PreStarts: []testcontainers.ContainerHook{func(_ context.Context, ctr testcontainers.Container) error {
				return cg.prepare(ctr.GetContainerID())
			}},
		}))
	}
	tcc, err := testcontainers.Run(ctx, opts.Image, customize...)
	if err != nil {
		if tcc != nil {
			_ = tcc.Terminate(context.WithoutCancel(ctx), testcontainers.StopTimeout(0))
		}
		cg.remove()
		return nil, fmt.Errorf("start container from %s: %w", opts.Image, err)
	}
	c := &Container{
		tc:           tcc,
		id:           tcc.GetContainerID(),
		opts:         opts,
		cgroup:       cg,
		termDone:     make(chan struct{}),
		watchdogStop: make(chan struct{}),
	}
	TrackForCleanup(c)
	go c.watchdog(opts.MaxLifetime - time.Since(begin))

	if opts.Rebootable {
		if err := c.openGate(ctx, "fresh"); err != nil {
			_ = c.Terminate(ctx)
			return nil, err
		}
	}
	if !opts.Plain {
		if err := c.waitReady(ctx, begin.Add(opts.StartTimeout)); err != nil {
			_ = c.Terminate(ctx)
			return nil, err
		}
	}
	c.StartDuration = time.Since(begin)
	return c, nil
}

// hostConfig fills the HostConfig of a container: read-only root, the
// writable tmpfs paths, read-only binds, limits, and the cgroup set-up.
//
// cgroups: always a private cgroup namespace, so the controller hierarchies
// are mounted read-only and scoped to the container's own cgroup (a root
// process inside cannot move itself out of its pids or memory cgroup). On a
// v1 host systemd also needs its named hierarchy writable: only the
// container's own directory of it is bound (ownCgroup), never the host's
// tree — binding all of /sys/fs/cgroup/systemd let a process inside create
// directories in the host's tree that outlived the container (measured).
// On a v2 host nothing is bound; the engine must give the namespace a
// writable cgroup2 (not measured on these machines, see README.md).
func hostConfig(hc *container.HostConfig, o Options, cg *ownCgroup) {
	hc.NetworkMode = "none"
	hc.Privileged = false
	hc.CapAdd = nil
	hc.AutoRemove = false
	hc.Init = nil
	hc.ReadonlyRootfs = true
	hc.Tmpfs = map[string]string{}
	for p, opt := range o.Writable {
		hc.Tmpfs[p] = "rw,exec,nosuid,nodev," + opt
	}
	pids := o.PidsLimit
	hc.Resources.PidsLimit = &pids
	hc.Resources.Memory = o.MemoryBytes
	hc.Resources.MemorySwap = o.MemoryBytes
	hc.Resources.NanoCPUs = o.NanoCPUs
	// PID 1's console output lands in the engine's log file on the host's
	// disk: cap it.
	hc.LogConfig = container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1m", "max-file": "1"}}
	hc.CgroupnsMode = container.CgroupnsModePrivate
	hc.Binds = nil
	for cpath, hpath := range o.ReadOnly {
		hc.Binds = append(hc.Binds, hpath+":"+cpath+":ro")
	}
	if cg != nil {
		hc.CgroupParent = cg.parent
		hc.Binds = append(hc.Binds, cg.link+":/sys/fs/cgroup/systemd:rw")
	}
}

// waitReady polls `systemctl is-system-running --wait` until it answers
// running or degraded. Right after start the command fails at once (systemd's
// bus socket is not there yet), hence the polling.
func (c *Container) waitReady(ctx context.Context, deadline time.Time) error {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		res, err := c.Exec(actx, []string{"systemctl", "is-system-running", "--wait"}, WithMaxOutput(4096))
		acancel()
		state := strings.TrimSpace(res.Output)
		if err == nil {
			last = state
		}
		switch state {
		case "running":
			c.SystemState = state
			return nil
		case "degraded":
			c.SystemState = state
			fr, _ := c.Exec(ctx, []string{"systemctl", "list-units", "--state=failed", "--plain", "--no-legend", "--no-pager"})
			for _, line := range strings.Split(strings.TrimSpace(fr.Output), "\n") {
				if f := strings.Fields(line); len(f) > 0 {
					c.FailedUnits = append(c.FailedUnits, f[0])
				}
			}
			return nil
		}
		if st, serr := c.tc.State(ctx); serr == nil && !st.Running {
			return fmt.Errorf("container %.12s exited during boot (exit code %d): %s", c.id, st.ExitCode, c.logTail(ctx))
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("systemd in container %.12s not ready after %s (last state %q): %s",
				c.id, c.opts.StartTimeout, last, c.logTail(context.WithoutCancel(ctx)))
		case <-tick.C:
		}
	}
}

func (c *Container) logTail(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	rc, err := c.tc.Logs(ctx)
	if err != nil {
		return "(no logs: " + err.Error() + ")"
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = "..." + s[len(s)-2000:]
	}
	return s
}

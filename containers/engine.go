// Package containers runs graded labs in fresh systemd containers: it builds
// (or reuses) the base image keyed by its recipe hash, starts one container per
// submission with systemd as PID 1 and tight limits, executes commands in it
// with deadlines and capped output, and tears it down quickly, also on Ctrl-C.
//
// It uses testcontainers-go (v0.44) for the container lifecycle and the moby
// API client it brings (github.com/moby/moby/client) for the rest. Set
// TESTCONTAINERS_RYUK_DISABLED=true: the reaper image cannot be pulled on
// machines without a registry, and this package removes its containers itself
// (Terminate, the watchdog, CleanupAll, RemoveLeftovers).
package containers

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/moby/moby/client"
)

// ErrNoEngine wraps every EngineAvailable failure: no Docker engine answers.
// Callers map it to "not gradable" (exit code 4).
var ErrNoEngine = errors.New("no Docker engine answers")

var (
	clientMu  sync.Mutex
	sharedCli *client.Client
)

// dockerClient returns the package's shared API client (DOCKER_HOST etc. from
// the environment, API version negotiated: engine 20.10 speaks 1.41).
func dockerClient() (*client.Client, error) {
	clientMu.Lock()
	defer clientMu.Unlock()
	if sharedCli != nil {
		return sharedCli, nil
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("%w: docker client: %v", ErrNoEngine, err)
	}
	sharedCli = cli
	return cli, nil
}

// EngineAvailable returns nil when a Docker engine answers a ping within 5 s,
// and an error wrapping ErrNoEngine (saying where it looked) otherwise.
func EngineAvailable(ctx context.Context) error {
	cli, err := dockerClient()
	if err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		host := os.Getenv("DOCKER_HOST")
		if host == "" {
			host = client.DefaultDockerHost
		}
		return fmt.Errorf("%w at %s: %v (start dockerd, or set DOCKER_HOST)", ErrNoEngine, host, err)
	}
	return nil
}

var (
	cgroupMu     sync.Mutex
	cgroupVer    string
	cgroupDriver string
)

// CgroupVersion reports the engine's cgroup version ("1" or "2"), as
// `docker info` shows it. Cached after the first success.
func CgroupVersion(ctx context.Context) (string, error) {
	v, _, err := cgroupInfo(ctx)
	return v, err
}

// cgroupInfo returns the engine's cgroup version and driver (cgroupfs or
// systemd), cached after the first success.
func cgroupInfo(ctx context.Context) (version, driver string, err error) {
	cgroupMu.Lock()
	defer cgroupMu.Unlock()
	if cgroupVer != "" {
		return cgroupVer, cgroupDriver, nil
	}
	cli, err := dockerClient()
	if err != nil {
		return "", "", err
	}
	info, err := cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return "", "", fmt.Errorf("%w: docker info: %v", ErrNoEngine, err)
	}
	v := info.Info.CgroupVersion
	if v == "" { // engines before API 1.40 did not report it; they only knew v1
		v = "1"
	}
	cgroupVer, cgroupDriver = v, info.Info.CgroupDriver
	return cgroupVer, cgroupDriver, nil
}

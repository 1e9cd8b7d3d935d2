package containers

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// The recipe of the base image. RecipeFiles lists them in the fixed order the
// recipe hash is computed in; build-offline.sh computes the same hash with
// `sha256sum Dockerfile packages.txt build-offline.sh customize.sh | sha256sum`.
//
//go:embed image/Dockerfile image/packages.txt image/build-offline.sh image/customize.sh
var recipeFS embed.FS

// RecipeFiles are the files of the image recipe, in hashing order.
var RecipeFiles = []string{"Dockerfile", "packages.txt", "build-offline.sh", "customize.sh"}

const (
	// ImageRepository is the repository part of the base image tag.
	ImageRepository = "daemonlab/systemd"
	// RecipeLabel is the image label that carries the full recipe hash.
	RecipeLabel = "org.daemonlab.recipe"
	// BaseImage is the parent of the Dockerfile route.
	BaseImage = "debian:bookworm-slim"

	// registryProbeTimeout bounds the `docker pull debian:bookworm-slim` that
	// decides between the Dockerfile route and the offline route.
	registryProbeTimeout = 20 * time.Second
)

// RecipeFile is one named file of a recipe, for HashRecipe.
type RecipeFile struct {
	Name    string
	Content []byte
}

// HashRecipe returns the hex sha256 over the sha256sum(1)-style listing
// ("<hex sha256 of content>  <name>\n" per file, in the given order). The order
// matters; so do names and contents.
func HashRecipe(files []RecipeFile) string {
	outer := sha256.New()
	for _, f := range files {
		sum := sha256.Sum256(f.Content)
		fmt.Fprintf(outer, "%s  %s\n", hex.EncodeToString(sum[:]), f.Name)
	}
	return hex.EncodeToString(outer.Sum(nil))
}

func embeddedRecipe() []RecipeFile {
	files := make([]RecipeFile, 0, len(RecipeFiles))
	for _, name := range RecipeFiles {
		b, err := recipeFS.ReadFile("image/" + name)
		if err != nil {
			panic("containers: embedded recipe file missing: " + name) // build-time invariant
		}
		files = append(files, RecipeFile{Name: name, Content: b})
	}
	return files
}

var recipeHash = sync.OnceValue(func() string { return HashRecipe(embeddedRecipe()) })

// RecipeHash is the full hex sha256 of the embedded image recipe.
func RecipeHash() string { return recipeHash() }

// ImageTag is daemonlab/systemd:<first 12 hex of RecipeHash>.
func ImageTag() string { return ImageRepository + ":" + RecipeHash()[:12] }

// ErrNoMmdebstrap is returned by EnsureImage when the image must be built
// offline and mmdebstrap is not installed.
var ErrNoMmdebstrap = errors.New("mmdebstrap is not installed (apt-get install -y mmdebstrap): it is needed to build the base image without a registry")

var ensureMu sync.Mutex

// EnsureImage makes sure the base image ImageTag() exists in the engine and
// returns its tag. If it exists it is reused (built == false). Otherwise it is
// built: by the Dockerfile route when `docker pull debian:bookworm-slim`
// succeeds within a short time, else by the offline route (mmdebstrap + docker
// import, see image/build-offline.sh). Setting DAEMONLAB_IMAGE_ROUTE=offline or
// =dockerfile skips the probe. Progress lines go to progress (may be nil).
// Concurrent callers, in this process or others (a lock file in the temp dir),
// build at most once.
func EnsureImage(ctx context.Context, progress io.Writer) (tag string, built bool, err error) {
	if progress == nil {
		progress = io.Discard
	}
	tag = ImageTag()
	cli, err := dockerClient()
	if err != nil {
		return "", false, err
	}
	if ok, err := imageExists(ctx, cli, tag); err != nil || ok {
		return tag, false, err
	}

	ensureMu.Lock()
	defer ensureMu.Unlock()
	unlock, err := lockFile(ctx, filepath.Join(os.TempDir(), "daemonlab-image-"+RecipeHash()[:12]+".lock"))
	if err != nil {
		return "", false, err
	}
	defer unlock()
	if ok, err := imageExists(ctx, cli, tag); err != nil || ok { // built meanwhile
		return tag, false, err
	}

	start := time.Now()
	route := os.Getenv("DAEMONLAB_IMAGE_ROUTE")
	if route == "" {
		fmt.Fprintf(progress, "image %s not found; probing the registry (docker pull %s)\n", tag, BaseImage)
		if perr := pullProbe(ctx, cli); perr == nil {
			route = "dockerfile"
		} else {
			fmt.Fprintf(progress, "no registry (%v): building offline\n", firstLine(perr.Error()))
			route = "offline"
		}
	}
	switch route {
	case "dockerfile":
		err = buildDockerfile(ctx, cli, tag, progress)
	case "offline":
		err = buildOffline(ctx, tag, progress)
	default:
		err = fmt.Errorf("DAEMONLAB_IMAGE_ROUTE=%q: want offline or dockerfile", route)
	}
	if err != nil {
		return "", false, fmt.Errorf("build image %s (%s route): %w", tag, route, err)
	}
	if ok, err := imageExists(ctx, cli, tag); err != nil {
		return "", false, err
	} else if !ok {
		return "", false, fmt.Errorf("build image %s (%s route) finished but the image is not in the engine", tag, route)
	}
	fmt.Fprintf(progress, "built %s (%s route) in %s\n", tag, route, time.Since(start).Round(100*time.Millisecond))
	return tag, true, nil
}

func imageExists(ctx context.Context, cli *client.Client, tag string) (bool, error) {
	_, err := cli.ImageInspect(ctx, tag)
	if err == nil {
		return true, nil
	}
	if cerrdefs.IsNotFound(err) {
		return false, nil
	}
	return false, fmt.Errorf("inspect image %s: %w", tag, err)
}

// pullProbe pulls the Dockerfile route's base image within registryProbeTimeout.
func pullProbe(ctx context.Context, cli *client.Client) error {
	if ok, _ := imageExists(ctx, cli, BaseImage); ok {
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, registryProbeTimeout)
	defer cancel()
	resp, err := cli.ImagePull(pctx, BaseImage, client.ImagePullOptions{})
	if err != nil {
		return err
	}
	return resp.Wait(pctx)
}

func buildDockerfile(ctx context.Context, cli *client.Client, tag string, progress io.Writer) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range embeddedRecipe() {
		mode := int64(0o644)
		if strings.HasSuffix(f.Name, ".sh") {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: f.Name, Mode: mode, Size: int64(len(f.Content)), ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		if _, err := tw.Write(f.Content); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	hash := RecipeHash()
	res, err := cli.ImageBuild(ctx, &buf, client.ImageBuildOptions{
		Tags:        []string{tag},
		Dockerfile:  "Dockerfile",
		Remove:      true,
		ForceRemove: true,
		BuildArgs:   map[string]*string{"RECIPE_HASH": &hash},
		Labels:      map[string]string{RecipeLabel: hash},
	})
	if err != nil {
		return err
	}
	defer res.Body.Close()
	dec := json.NewDecoder(res.Body)
	for {
		var m struct {
			Stream      string `json:"stream"`
			Status      string `json:"status"`
			ErrorDetail *struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
			Error string `json:"error"`
		}
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if m.ErrorDetail != nil {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
		if s := strings.TrimRight(m.Stream+m.Status, "\n"); s != "" {
			fmt.Fprintln(progress, s)
		}
	}
}

func buildOffline(ctx context.Context, tag string, progress io.Writer) error {
	if _, err := exec.LookPath("mmdebstrap"); err != nil {
		return ErrNoMmdebstrap
	}
	if _, err := exec.LookPath("docker"); err != nil {
		return errors.New("the docker CLI is not on PATH: build-offline.sh needs it for `docker import`")
	}
	dir, err := os.MkdirTemp("", "daemonlab-recipe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, f := range embeddedRecipe() {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Content, 0o755); err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, "sh", filepath.Join(dir, "build-offline.sh"), tag)
	cmd.Dir = dir
	cmd.Stdout = progress
	cmd.Stderr = progress
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// On cancellation stop the whole build (mmdebstrap and its apt children).
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", "build-offline.sh", err)
	}
	return nil
}

// lockFile takes an exclusive flock on path, polling until ctx is done.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, err
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

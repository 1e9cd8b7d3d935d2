// Package image is the systemd image recipe's identity without the
// container stack: the recipe hash and the image tag daemonlab grades
// with, for `daemonlab version` in the binary that carries no Docker
// client. containers.ImageTag is the same tag (a test holds them equal).
package image

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"sync"
)

//go:embed Dockerfile packages.txt build-offline.sh customize.sh
var recipe embed.FS

// files are the recipe files in hashing order (containers.RecipeFiles).
var files = []string{"Dockerfile", "packages.txt", "build-offline.sh", "customize.sh"}

// Repository is the repository part of the image tag.
const Repository = "daemonlab/systemd"

var hash = sync.OnceValue(func() string {
	outer := sha256.New()
	for _, name := range files {
		b, err := recipe.ReadFile(name)
		if err != nil {
			panic("image: embedded recipe file missing: " + name) // build-time invariant
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(outer, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	return hex.EncodeToString(outer.Sum(nil))
})

// Hash is the full hex sha256 of the recipe (sha256sum-style listing).
func Hash() string { return hash() }

// Tag is daemonlab/systemd:<first 12 hex of Hash>.
func Tag() string { return Repository + ":" + Hash()[:12] }

package image_test

import (
	"testing"

	"github.com/daemonlab/daemonlab/containers"
	"github.com/daemonlab/daemonlab/containers/image"
	"github.com/stretchr/testify/assert"
)

// TestTagIsTheGradersTag: `daemonlab version` reports the tag the grader
// builds and runs.
func TestTagIsTheGradersTag(t *testing.T) {
	assert.Equal(t, containers.ImageTag(), image.Tag())
	assert.Equal(t, containers.RecipeHash(), image.Hash())
	assert.Equal(t, containers.RecipeFiles, []string{"Dockerfile", "packages.txt", "build-offline.sh", "customize.sh"})
}

package containers

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestHashRecipeStableAndSensitive(t *testing.T) {
	base := []RecipeFile{
		{Name: "Dockerfile", Content: []byte("FROM x\n")},
		{Name: "packages.txt", Content: []byte("systemd\n")},
	}
	h1 := HashRecipe(base)
	if h2 := HashRecipe([]RecipeFile{{Name: "Dockerfile", Content: []byte("FROM x\n")}, {Name: "packages.txt", Content: []byte("systemd\n")}}); h1 != h2 {
		t.Fatalf("same input, different hashes: %s %s", h1, h2)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(h1) {
		t.Fatalf("hash %q is not 64 hex digits", h1)
	}
	variants := map[string][]RecipeFile{
		"content changed": {{"Dockerfile", []byte("FROM x\n")}, {"packages.txt", []byte("systemd\ncron\n")}},
		"name changed":    {{"Dockerfile", []byte("FROM x\n")}, {"packages.list", []byte("systemd\n")}},
		"order changed":   {{"packages.txt", []byte("systemd\n")}, {"Dockerfile", []byte("FROM x\n")}},
		"file added":      {{"Dockerfile", []byte("FROM x\n")}, {"packages.txt", []byte("systemd\n")}, {"hook.sh", nil}},
		// Content moved across the boundary of two files must not collide.
		"boundary moved": {{"Dockerfile", []byte("FROM x\nsystemd\n")}, {"packages.txt", []byte("")}},
	}
	for name, files := range variants {
		if HashRecipe(files) == h1 {
			t.Errorf("%s: hash did not change", name)
		}
	}
}

func TestRecipeHashMatchesShellPipeline(t *testing.T) {
	// build-offline.sh computes the hash with sha256sum; both must agree.
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("sha256sum not installed")
	}
	dir := t.TempDir()
	for _, f := range embeddedRecipe() {
		if err := os.WriteFile(filepath.Join(dir, f.Name), f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("sh", "-c", "sha256sum "+strings.Join(RecipeFiles, " ")+" | sha256sum | cut -c1-64")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(out)); got != RecipeHash() {
		t.Fatalf("shell pipeline hash %s != RecipeHash %s", got, RecipeHash())
	}
}

func TestRecipeFilesOnDiskAreEmbedded(t *testing.T) {
	// The embedded files are the ones in image/ (go:embed); this guards the list.
	for _, f := range embeddedRecipe() {
		b, err := os.ReadFile(filepath.Join("image", f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(f.Content) {
			t.Fatalf("%s differs from the embedded copy", f.Name)
		}
	}
	if !regexp.MustCompile(`^daemonlab/systemd:[0-9a-f]{12}$`).MatchString(ImageTag()) {
		t.Fatalf("ImageTag() = %q", ImageTag())
	}
	if !strings.HasPrefix(RecipeHash(), strings.TrimPrefix(ImageTag(), ImageRepository+":")) {
		t.Fatalf("tag %s is not a prefix of hash %s", ImageTag(), RecipeHash())
	}
}

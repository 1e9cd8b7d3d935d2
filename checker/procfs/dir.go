package procfs

import (
	"os"
	"sort"
	"strconv"
)

// readPIDDir lists the numeric entries of a directory in ascending order.
func readPIDDir(dir string) ([]int, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	out := make([]int, 0, len(entries))
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out, nil
}

// PIDs lists every process in the tree.
func (p FS) PIDs() ([]int, error) {
	return readPIDDir(p.Root)
}

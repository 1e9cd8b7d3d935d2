package checker

import (
	"slices"
	"strings"
)

// UnitFromCgroup extracts the systemd unit a process runs in from the
// content of /proc/PID/cgroup, on cgroup v2 ("0::/system.slice/x.service")
// and v1 ("1:name=systemd:/system.slice/x.service").
func UnitFromCgroup(content string) string {
	var path string
	for _, line := range strings.Split(content, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" || parts[1] == "name=systemd" {
			path = parts[2]
			if parts[1] == "name=systemd" {
				break
			}
		}
	}
	elems := strings.Split(path, "/")
	for _, elem := range slices.Backward(elems) {
		for _, suffix := range []string{".service", ".scope", ".socket"} {
			if strings.HasSuffix(elem, suffix) {
				return elem
			}
		}
	}
	return ""
}

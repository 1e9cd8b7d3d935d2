//go:build !(linux && (amd64 || arm64))

package launch

import "syscall"

// resetIgnored is a no-op where the kernel's sigaction layout differs:
// the program then inherits what the shim inherited.
func resetIgnored(map[syscall.Signal]bool) {}

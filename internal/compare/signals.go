package compare

import (
	"os"
	"os/signal"
	"syscall"
)

// defaultSIGHUP makes the shells of a run start with SIGHUP at its default
// action, as at a login, even when daemonlab itself was started with it
// ignored (under nohup, by some CI runners): an ignored signal stays
// ignored across exec, every way would then survive the hang-up, and the
// run would teach the opposite of the truth. While Go has a handler
// installed, exec resets the signal to its default. The returned function
// puts things back as they were.
func defaultSIGHUP() (restore func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	return func() { signal.Stop(ch) }
}

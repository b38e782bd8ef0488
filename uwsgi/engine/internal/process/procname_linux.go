package process

import "os"

// setCommName sets the 15-byte name of the process's main thread (what
// top and ps -o comm show), through /proc so that it is the main thread's
// whichever thread runs this.
func setCommName(title string) {
	if len(title) > 15 {
		title = title[:15]
	}
	_ = os.WriteFile("/proc/self/comm", []byte(title), 0)
}

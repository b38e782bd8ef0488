package master

import (
	"os"

	"golang.org/x/sys/unix"
)

// openFIFOs creates the first --master-fifo and returns the command bytes
// read from it; nil when none is configured.
func (m *master) openFIFOs() <-chan byte {
	if len(m.opts.MasterFIFO) == 0 {
		return nil
	}
	path := m.opts.MasterFIFO[0]
	_ = os.Remove(path)
	if err := unix.Mkfifo(path, 0o600); err != nil {
		m.log.Printf("uwsgi: master fifo %s: %v", path, err)
		return nil
	}
	// Opened read-write, the FIFO never reports end of file when a writer leaves.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		m.log.Printf("uwsgi: master fifo %s: %v", path, err)
		return nil
	}
	m.log.Printf("active master fifo is now %s", path)
	cmds := make(chan byte, 64)
	go func() {
		buf := make([]byte, 64)
		for {
			n, err := f.Read(buf)
			for _, b := range buf[:n] {
				cmds <- b
			}
			if err != nil {
				return
			}
		}
	}()
	return cmds
}

// onFIFO runs one master FIFO command (uWSGI 2.0's letters).
func (m *master) onFIFO(b byte) {
	switch b {
	case 'r', 'w':
		m.requestReload(false, "master fifo '"+string(b)+"'")
	case 'R', 'W':
		m.requestReload(false, "master fifo '"+string(b)+"' (brutal reload runs as a graceful one in uwsgo)")
	case 'c':
		m.requestReload(true, "master fifo 'c'")
	case 'q':
		m.shutdown(true)
	case 'Q':
		m.shutdown(false)
	case 's':
		m.logCounters()
	case 'P':
		m.writePidfiles()
	case '\n', '\r', ' ':
	default:
		m.log.Printf("master fifo: command '%c' is not supported by uwsgo", b)
	}
}

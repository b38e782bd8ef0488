//go:build !linux

package engine

import (
	"net"
	"os"
)

func listenQueue(f *os.File, backlog uint64) (queue, max uint64) { return 0, backlog }

func listenQueueOfListener(ln net.Listener, backlog uint64) (queue, max uint64) { return 0, backlog }

package handoff

// Layout is the descriptor table a master gives a worker, in this order:
// 0-2 stdio (1 and 2 the log), then from FirstFD the listen sockets (in
// the order of EnvSocketList), the scoreboard, the control channel, the
// caches (EnvCaches lists them), the log master's request pipe (EnvReqLog)
// and the TLS bundle (EnvTLS). The master builds the table with these
// methods and the worker finds its descriptors with them: neither side
// counts by hand.
type Layout struct {
	Sockets, Caches int
	ReqLog, TLS     bool // whether the table has a request log pipe, a TLS bundle
}

// Socket is the descriptor of listen socket i.
func (l Layout) Socket(i int) int { return FirstFD + i }

// Scoreboard is the scoreboard's descriptor.
func (l Layout) Scoreboard() int { return FirstFD + l.Sockets }

// Control is the worker's end of the control channel.
func (l Layout) Control() int { return l.Scoreboard() + 1 }

// Cache is the descriptor of cache i.
func (l Layout) Cache(i int) int { return l.Control() + 1 + i }

// ReqLogPipe is the request log pipe's descriptor (when l.ReqLog).
func (l Layout) ReqLogPipe() int { return l.Cache(l.Caches) }

// TLSBundle is the TLS bundle's descriptor (when l.TLS).
func (l Layout) TLSBundle() int {
	if l.ReqLog {
		return l.ReqLogPipe() + 1
	}
	return l.ReqLogPipe()
}

// Len is the size of the table.
func (l Layout) Len() int {
	n := l.Cache(l.Caches)
	if l.ReqLog {
		n++
	}
	if l.TLS {
		n++
	}
	return n
}

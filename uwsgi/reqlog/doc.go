// Package reqlog writes uWSGI's request log lines, fast.
//
// Compile turns a --log-format string (uWSGI's %(name) tokens) into a
// Format once at start-up; Format.Append then writes one line per request
// into a byte slice without allocating. Compile("") is uWSGI 2.0's default
// line:
//
//	[pid: 6473|app: 0|req: 1/1] 127.0.0.1 () {24 vars in 257 bytes} [Tue Nov 24 19:26:32 2026] GET /foo?x=1 => generated 5 bytes in 0 msecs (HTTP/1.1 200) 1 headers in 45 bytes (1 switches on core 0)
//
// Writer collects lines from many goroutines into one buffer and writes it
// out when it fills and at least every FlushInterval, so logging costs a
// lock and a copy per request rather than a system call.
package reqlog

package reqlog

import "time"

// Record is one finished request. Byte slices may point into request
// buffers: they are read only during Append.
type Record struct {
	PID                  int
	WorkerID             int
	AppID                int // 0: uwsgo always has its one app
	AppRequests          uint64
	TotalRequests        uint64
	RemoteAddr           []byte
	RemoteUser           []byte
	Vars                 int // var slots, two per pair
	PacketSize           int // vars block bytes
	Start                time.Time
	Duration             time.Duration
	Method, URI, Proto   []byte
	Host, UserAgent      []byte
	Referer              []byte
	Status               int
	BodySize             int64 // response body bytes
	HeaderCount          int   // response headers, status line excluded
	HeaderBytes          int   // status line, headers and final CRLF
	Switches             int
	Core                 int
	RequestContentLength int64
	Modifier1, Modifier2 uint8
	ReadErr, WriteErr    bool
	RSS, VSZ             uint64 // bytes, with --memory-report
	// Var looks up a request variable for %(var.NAME); nil means none.
	Var func(name string) []byte
}

//go:build !linux

package engine

// holding: only Linux sockets hold a header for a file body
// (sendfile_linux.go).
func (c *sockConn) holding() bool { return false }

func (c *sockConn) writeHeld(p []byte) (int, error) { return c.Write(p) }

package socket

import (
	"net"
	"net/netip"
)

// remoteIP is a connection's peer address as text, made once.
type remoteIP struct {
	addr *net.TCPAddr
	text []byte
}

// RemoteIP returns the text of a's IP as the request log writes it
// (IPv4-mapped addresses unmapped), appended to dst; a is the address of
// a request on connection c. The text of an HTTP connection's own peer is
// made once per connection and shared: the caller must not modify it.
func RemoteIP(dst []byte, c net.Conn, a net.Addr) []byte {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return dst
	}
	dc := drainConnFast(c)
	if dc == nil {
		return appendIP(dst, tcp)
	}
	if r := dc.rip.Load(); r != nil && r.addr == tcp {
		return r.text
	}
	text := appendIP(nil, tcp)
	r := &remoteIP{addr: tcp, text: text[:len(text):len(text)]} // an append copies
	dc.rip.Store(r)
	return r.text
}

func appendIP(dst []byte, a *net.TCPAddr) []byte {
	if ip, ok := netip.AddrFromSlice(a.IP); ok {
		return ip.Unmap().AppendTo(dst)
	}
	return dst
}

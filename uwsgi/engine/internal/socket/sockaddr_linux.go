//go:build linux

package socket

import (
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Raw accept4 and getsockname: x/sys/unix's Accept4 and Getsockname
// decode the address through anyToSockaddr, which asks the kernel for the
// socket's protocol (getsockopt SO_PROTOCOL, to tell L2TP from TCP) on
// every call, and allocate a unix.Sockaddr. A TCP or unix stream socket
// needs neither: for a one-request connection (a uwsgi request from nginx)
// that was two of its nine system calls.

// accept4Raw accepts a connection on listening socket fd, non-blocking and
// close-on-exec; rsa receives the peer's address.
func accept4Raw(fd int, rsa *unix.RawSockaddrAny) (int, error) {
	l := uint32(unix.SizeofSockaddrAny)
	nfd, _, errno := unix.Syscall6(unix.SYS_ACCEPT4, uintptr(fd), uintptr(unsafe.Pointer(rsa)), uintptr(unsafe.Pointer(&l)), unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(nfd), nil
}

// getsocknameRaw is the local address of socket fd.
func getsocknameRaw(fd int, rsa *unix.RawSockaddrAny) error {
	l := uint32(unix.SizeofSockaddrAny)
	if _, _, errno := unix.RawSyscall(unix.SYS_GETSOCKNAME, uintptr(fd), uintptr(unsafe.Pointer(rsa)), uintptr(unsafe.Pointer(&l))); errno != 0 {
		return errno
	}
	return nil
}

// tcpAddrOfRaw decodes an AF_INET or AF_INET6 address as net does.
func tcpAddrOfRaw(rsa *unix.RawSockaddrAny) net.Addr {
	switch rsa.Addr.Family {
	case unix.AF_INET:
		sa := (*unix.RawSockaddrInet4)(unsafe.Pointer(rsa))
		return &net.TCPAddr{IP: net.IPv4(sa.Addr[0], sa.Addr[1], sa.Addr[2], sa.Addr[3]), Port: port(sa.Port)}
	case unix.AF_INET6:
		sa := (*unix.RawSockaddrInet6)(unsafe.Pointer(rsa))
		ip := make(net.IP, net.IPv6len)
		copy(ip, sa.Addr[:])
		a := &net.TCPAddr{IP: ip, Port: port(sa.Port)}
		if sa.Scope_id != 0 {
			if ifi, err := net.InterfaceByIndex(int(sa.Scope_id)); err == nil {
				a.Zone = ifi.Name
			}
		}
		return a
	}
	return &net.TCPAddr{}
}

// port converts a port in network byte order, as the kernel stores it.
func port(p uint16) int {
	b := (*[2]byte)(unsafe.Pointer(&p))
	return int(b[0])<<8 | int(b[1])
}

// boundAddr is the local address every connection accepted on ln has
// (its listening address), or nil when the listener is bound to a
// wildcard (0.0.0.0, ::), where the local address depends on the
// connection.
func boundAddr(ln net.Listener) *net.TCPAddr {
	a, ok := ln.Addr().(*net.TCPAddr)
	if !ok || a.IP == nil || a.IP.IsUnspecified() {
		return nil
	}
	return a
}

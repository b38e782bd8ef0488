//go:build !linux

package engine

// uwsgo serves on Linux only: the master and its workers rely on memfd,
// Pdeathsig, inotify, accept4, TCP_INFO and prctl. Building for another
// system stops here with the message "undefined: uwsgo_serves_on_linux_only".
var _ = uwsgo_serves_on_linux_only

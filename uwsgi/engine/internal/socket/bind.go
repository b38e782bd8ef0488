package socket

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/logger"
)

var errNoSockets = errors.New("uwsgi: the -s/--socket option is missing and stdin is not a socket; give --http-socket or --socket")

// socketNames lists the configured sockets, uwsgi sockets first, in the
// order uWSGI numbers them (and the order workers inherit them in).
func socketNames(cfg *config.Config) (names []string, kinds []handoff.Kind) {
	kind := handoff.KindUwsgi
	if p := cfg.String("protocol"); p == "http" || p == "http11" {
		kind = handoff.KindHTTP // --protocol=http turns --socket into HTTP sockets, as in uWSGI
	}
	for _, n := range cfg.Strings("socket") {
		names, kinds = append(names, n), append(kinds, kind)
	}
	for _, opt := range []string{"http-socket", "http", "http11-socket"} {
		for _, n := range cfg.Strings(opt) {
			names, kinds = append(names, n), append(kinds, handoff.KindHTTP)
		}
	}
	for _, v := range HttpsValues(cfg) {
		names, kinds = append(names, HttpsSocketName(v)), append(kinds, handoff.KindHTTP)
	}
	return names, kinds
}

// MarkTLS numbers the HTTPS sockets, which socketNames lists last among
// the sockets options name (activated sockets no option names follow them).
func MarkTLS(cfg *config.Config, socks []*Socket) {
	names, _ := socketNames(cfg)
	first := len(names) - len(HttpsValues(cfg))
	for i, s := range socks {
		s.TLS = -1
		if i >= first && i < len(names) {
			s.TLS = i - first
		}
	}
}

// BindAll binds every configured socket.
// An activated socket (socket activation) stands for the option naming its
// address; activated sockets no option names are added after the others.
func BindAll(cfg *config.Config, o SocketOptions, log *logger.Logger) ([]*Socket, error) {
	names, kinds := socketNames(cfg)
	act, err := ActivatedSockets()
	if err != nil {
		return nil, err
	}
	if len(names) == 0 && len(act) == 0 {
		return nil, errNoSockets
	}
	var socks []*Socket
	fail := func(err error) ([]*Socket, error) {
		for _, s := range socks {
			s.Close()
		}
		return nil, fmt.Errorf("uwsgi: %w", err)
	}
	for i, name := range names {
		if a := activatedSocketFor(act, name, o.Abstract); a != nil {
			s, err := adoptActivated(i, a, name, kinds[i], o)
			if err != nil {
				return fail(err)
			}
			log.Printf("uwsgi socket %d attached to %s address %s fd %d (%s, socket-activated)", s.Index, NetworkName(s), s.Name, a.fd, s.Kind)
			socks = append(socks, s)
			continue
		}
		s, err := Bind(i, name, kinds[i], o)
		if err != nil {
			return fail(err)
		}
		socks = append(socks, s)
	}
	for _, a := range act {
		if a.used {
			continue
		}
		a.used = true
		s, err := adoptActivated(len(socks), a, a.addrName(), kindOfUnnamed(a, kinds), o)
		if err != nil {
			return fail(err)
		}
		log.Printf("uwsgi socket %d attached to %s address %s fd %d (%s, socket-activated, named by no option)", s.Index, NetworkName(s), s.Name, a.fd, s.Kind)
		socks = append(socks, s)
	}
	MarkTLS(cfg, socks)
	for _, s := range socks {
		if !s.Activated {
			log.Printf("uwsgi socket %d bound to %s address %s fd %d (%s)", s.Index, NetworkName(s), s.Name, FDOf(s.Listener), s.Proto())
		}
	}
	return socks, nil
}

// InheritSockets rebuilds the sockets from descriptors 3.. as numbered by cfg.
func InheritSockets(cfg *config.Config, count int) ([]*Socket, error) {
	specs, err := SocketSpecs(cfg, os.Getenv(handoff.EnvSocketList))
	if err != nil {
		return nil, err
	}
	names, kinds := make([]string, len(specs)), make([]handoff.Kind, len(specs))
	for i, sp := range specs {
		names[i], kinds[i] = sp.Name, sp.Kind
	}
	if len(names) != count {
		return nil, fmt.Errorf("uwsgi: inherited %d sockets but the configuration names %d", count, len(names))
	}
	socks := make([]*Socket, count)
	for i := range count {
		ln, err := handoff.InheritedListener(handoff.Layout{Sockets: count}.Socket(i))
		if err != nil {
			return nil, fmt.Errorf("uwsgi: inherited socket %d (%s): %w", i, names[i], err)
		}
		network, addr := SplitAddr(names[i])
		socks[i] = &Socket{Index: i, Name: names[i], Kind: kinds[i], Network: network, Addr: addr, Listener: ln, Activated: specs[i].Activated}
	}
	MarkTLS(cfg, socks)
	return socks, nil
}

// SocketSpecs is the socket list passed in list, or (from an older master
// that passed none) the one the configuration names.
func SocketSpecs(cfg *config.Config, list string) ([]handoff.SocketSpec, error) {
	if list != "" {
		return handoff.DecodeSockets(list)
	}
	names, kinds := socketNames(cfg)
	specs := make([]handoff.SocketSpec, len(names))
	for i := range names {
		specs[i] = handoff.SocketSpec{Name: names[i], Kind: kinds[i]}
	}
	return specs, nil
}

// NetworkName is "TCP" or "UNIX", as uWSGI's log lines name a socket.
func NetworkName(s *Socket) string {
	if s.Network == "tcp" {
		return "TCP"
	}
	return "UNIX"
}

// HttpsValues are the --https-socket values, then the --https ones (uWSGI's
// HTTPS router; uwsgo's workers serve its address themselves, as for --http).
func HttpsValues(cfg *config.Config) []string {
	return append(cfg.Strings("https-socket"), cfg.Strings("https")...)
}

// HttpsSocketName is the address of an --https-socket value.
func HttpsSocketName(v string) string {
	name, _, _ := strings.Cut(v, ",")
	return name
}

// SpecsOf describes socks for the socket list a worker inherits.
func SpecsOf(socks []*Socket) []handoff.SocketSpec {
	specs := make([]handoff.SocketSpec, len(socks))
	for i, s := range socks {
		specs[i] = handoff.SocketSpec{Name: s.Name, Kind: s.Kind, Activated: s.Activated}
	}
	return specs
}

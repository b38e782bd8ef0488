package engine

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/uwsgo/uwsgo/uwsgi/config"
)

var errNoSockets = errors.New("uwsgi: the -s/--socket option is missing and stdin is not a socket; give --http-socket or --socket")

// socketNames lists the configured sockets, uwsgi sockets first, in the
// order uWSGI numbers them (and the order workers inherit them in).
func socketNames(cfg *config.Config) (names []string, kinds []Kind) {
	kind := KindUwsgi
	if p := cfg.String("protocol"); p == "http" || p == "http11" {
		kind = KindHTTP // --protocol=http turns --socket into HTTP sockets, as in uWSGI
	}
	for _, n := range cfg.Strings("socket") {
		names, kinds = append(names, n), append(kinds, kind)
	}
	for _, opt := range []string{"http-socket", "http", "http11-socket"} {
		for _, n := range cfg.Strings(opt) {
			names, kinds = append(names, n), append(kinds, KindHTTP)
		}
	}
	for _, v := range httpsValues(cfg) {
		names, kinds = append(names, httpsSocketName(v)), append(kinds, KindHTTP)
	}
	return names, kinds
}

// markTLS numbers the HTTPS sockets, which socketNames lists last among
// the sockets options name (activated sockets no option names follow them).
func markTLS(cfg *config.Config, socks []*Socket) {
	names, _ := socketNames(cfg)
	first := len(names) - len(httpsValues(cfg))
	for i, s := range socks {
		s.TLS = -1
		if i >= first && i < len(names) {
			s.TLS = i - first
		}
	}
}

// bindAll binds every configured socket.
// An activated socket (socket activation) stands for the option naming its
// address; activated sockets no option names are added after the others.
func bindAll(cfg *config.Config, o SocketOptions, log *Logger) ([]*Socket, error) {
	names, kinds := socketNames(cfg)
	act, err := activatedSockets()
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
			log.Printf("uwsgi socket %d attached to %s address %s fd %d (%s, socket-activated)", s.Index, networkName(s), s.Name, a.fd, s.Kind)
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
		log.Printf("uwsgi socket %d attached to %s address %s fd %d (%s, socket-activated, named by no option)", s.Index, networkName(s), s.Name, a.fd, s.Kind)
		socks = append(socks, s)
	}
	markTLS(cfg, socks)
	for _, s := range socks {
		if !s.Activated {
			log.Printf("uwsgi socket %d bound to %s address %s fd %d (%s)", s.Index, networkName(s), s.Name, fdOf(s.Listener), s.proto())
		}
	}
	return socks, nil
}

// inheritSockets rebuilds the sockets from descriptors 3.. as numbered by cfg.
func inheritSockets(cfg *config.Config, count int) ([]*Socket, error) {
	specs, err := socketSpecs(cfg, os.Getenv(envSocketList))
	if err != nil {
		return nil, err
	}
	names, kinds := make([]string, len(specs)), make([]Kind, len(specs))
	for i, sp := range specs {
		names[i], kinds[i] = sp.name, sp.kind
	}
	if len(names) != count {
		return nil, fmt.Errorf("uwsgi: inherited %d sockets but the configuration names %d", count, len(names))
	}
	socks := make([]*Socket, count)
	for i := range count {
		ln, err := inheritedListener(firstFD + i)
		if err != nil {
			return nil, fmt.Errorf("uwsgi: inherited socket %d (%s): %w", i, names[i], err)
		}
		network, addr := splitAddr(names[i])
		socks[i] = &Socket{Index: i, Name: names[i], Kind: kinds[i], Network: network, Addr: addr, Listener: ln, Activated: specs[i].activated}
	}
	markTLS(cfg, socks)
	return socks, nil
}

// socketSpecs is the socket list passed in list, or (from an older master
// that passed none) the one the configuration names.
func socketSpecs(cfg *config.Config, list string) ([]socketSpec, error) {
	if list != "" {
		return decodeSockets(list)
	}
	names, kinds := socketNames(cfg)
	specs := make([]socketSpec, len(names))
	for i := range names {
		specs[i] = socketSpec{name: names[i], kind: kinds[i]}
	}
	return specs, nil
}

func networkName(s *Socket) string {
	if s.Network == "tcp" {
		return "TCP"
	}
	return "UNIX"
}

// httpsValues are the --https-socket values, then the --https ones (uWSGI's
// HTTPS router; uwsgo's workers serve its address themselves, as for --http).
func httpsValues(cfg *config.Config) []string {
	return append(cfg.Strings("https-socket"), cfg.Strings("https")...)
}

// httpsSocketName is the address of an --https-socket value.
func httpsSocketName(v string) string {
	name, _, _ := strings.Cut(v, ",")
	return name
}

// specsOf describes socks for the socket list a worker inherits.
func specsOf(socks []*Socket) []socketSpec {
	specs := make([]socketSpec, len(socks))
	for i, s := range socks {
		specs[i] = socketSpec{name: s.Name, kind: s.Kind, activated: s.Activated}
	}
	return specs
}

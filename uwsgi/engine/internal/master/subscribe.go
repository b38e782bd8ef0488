package master

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/config"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/socket"
	"github.com/uwsgo/uwsgo/uwsgi/proto"
)

// subscription is one router this instance announces itself to.
type subscription struct {
	spec      string // as configured, for the log
	server    string // the router's subscription server: host:port (UDP) or a unix datagram path
	key       string
	address   string // "" means the first socket's name
	modifier1 int
	modifier2 int
	weight    int
	check     string // subscribe2 check=FILE: announce only while FILE does not exist
}

// parseSubscribeTo reads --subscribe-to [ADDR=]SERVER:KEY[,MODIFIER1[,SIGN]].
func parseSubscribeTo(spec string, defMod1 int) (subscription, bool) {
	s := subscription{spec: spec, modifier1: defMod1}
	rest := spec
	if i := strings.IndexByte(rest, '='); i >= 0 {
		s.address, rest = rest[:i], rest[i+1:]
	}
	if parts := strings.Split(rest, ","); len(parts) > 1 {
		rest = parts[0]
		if n, err := strconv.Atoi(parts[1]); err == nil {
			s.modifier1 = n
		}
	}
	// SERVER is a unix path up to the first colon, or host:port.
	cut := strings.IndexByte(rest, ':')
	if !strings.HasPrefix(rest, "/") && cut >= 0 {
		if next := strings.IndexByte(rest[cut+1:], ':'); next >= 0 {
			cut += 1 + next
		} else {
			cut = -1
		}
	}
	if cut <= 0 || cut == len(rest)-1 {
		return s, false // uWSGI ignores a spec without a port or a key
	}
	s.server, s.key = rest[:cut], rest[cut+1:]
	return s, true
}

// parseSubscribe2 reads --subscribe2 key=value,... .
func parseSubscribe2(spec string, defMod1 int) (subscription, error) {
	s := subscription{spec: spec, modifier1: defMod1}
	for _, kv := range strings.Split(spec, ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, _ := strconv.Atoi(v)
		switch k {
		case "server":
			s.server = v
		case "key":
			s.key = v
		case "addr":
			s.address = v
		case "weight":
			s.weight = n
		case "modifier1":
			s.modifier1 = n
		case "modifier2":
			s.modifier2 = n
		case "check":
			s.check = v
		case "socket", "sign", "sni_key", "sni_crt", "sni_ca", "algo", "proto", "backup":
			// accepted; see docs/deploy.md
		default:
			return s, fmt.Errorf("uwsgi: --subscribe2 %q: unknown key %q", spec, k)
		}
	}
	if s.server == "" || s.key == "" {
		return s, fmt.Errorf("uwsgi: --subscribe2 %q needs server= and key=", spec)
	}
	return s, nil
}

// subscriptions reads every --subscribe-to and --subscribe2.
func subscriptions(cfg *config.Config) ([]subscription, error) {
	mod1 := cfg.Int("subscribe-with-modifier1")
	var out []subscription
	for _, spec := range cfg.Strings("subscribe-to") {
		s, ok := parseSubscribeTo(spec, mod1)
		if !ok {
			continue
		}
		if !strings.HasPrefix(s.key, "@") {
			out = append(out, s)
			continue
		}
		keys, err := keysFromFile(s)
		if err != nil {
			return nil, err
		}
		out = append(out, keys...)
	}
	for _, spec := range cfg.Strings("subscribe2") {
		s, err := parseSubscribe2(spec, mod1)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// announce sends a subscribe (or unsubscribe) packet to every router.
func (m *master) announce(cmd uint8) {
	if len(m.subs) == 0 {
		return
	}
	weight := m.cfg.Int("weight")
	if m.cfg.Bool("auto-weight") {
		weight = m.opts.Processes * m.opts.Cores
	}
	load := 0
	if len(m.sockets) > 0 {
		q, _ := socket.ListenQueue(m.sockets[0].Listener, 0)
		load = int(q)
	}
	for _, s := range m.subs {
		if s.check != "" {
			if _, err := os.Stat(s.check); err == nil {
				continue
			}
		}
		addr := s.address
		if addr == "" && len(m.sockets) > 0 {
			addr = m.sockets[0].Name
		}
		w := s.weight
		if w == 0 {
			w = weight
		}
		pkt, err := proto.AppendSubscription(nil, cmd, proto.Subscription{Key: s.key, Address: addr,
			Modifier1: s.modifier1, Modifier2: s.modifier2, Cores: m.opts.Processes * m.opts.Cores, Load: load, Weight: w})
		if err != nil {
			m.log.Printf("uwsgi: subscription %s: %v", s.spec, err)
			continue
		}
		if cmd == proto.Unsubscribe {
			m.log.Printf("unsubscribing from %s", s.spec)
		} else if m.subCycle == 0 {
			m.log.Printf("subscribing to %s", s.spec)
		}
		sendDatagram(s.server, pkt)
	}
}

func sendDatagram(server string, pkt []byte) {
	network := "udp"
	if strings.HasPrefix(server, "/") {
		network = "unixgram"
	}
	c, err := net.DialTimeout(network, server, time.Second)
	if err != nil {
		return
	}
	defer c.Close()
	_, _ = c.Write(pkt)
}

// subscribeTick re-announces: on the first cycle after start, then every
// --subscribe-freq cycles; never while reloading or stopping.
func (m *master) subscribeTick() {
	if len(m.subs) == 0 || m.reload != nil || m.stopping != nil {
		return
	}
	m.subCycle++
	if m.subCycle == 1 || m.subCycle%max(m.cfg.Int("subscribe-freq"), 1) == 0 {
		m.announce(proto.Subscribe)
	}
}

// keysFromFile expands a @file key: one "key[,modifier1]" per line, #
// comments, each announced to the same server.
func keysFromFile(s subscription) ([]subscription, error) {
	b, err := os.ReadFile(s.key[1:])
	if err != nil {
		return nil, fmt.Errorf("uwsgi: --subscribe-to %s: %w", s.spec, err)
	}
	var out []subscription
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k := s
		key, mod, hasMod := strings.Cut(line, ",")
		k.key = key
		if n, err := strconv.Atoi(mod); hasMod && err == nil {
			k.modifier1 = n
		}
		out = append(out, k)
	}
	return out, nil
}

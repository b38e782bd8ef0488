package stats

import (
	"strconv"
	"strings"
)

// AppendPrometheus appends the snapshot in the Prometheus text exposition
// format (uwsgo's addition: a /metrics endpoint needing no exporter). Names
// follow uwsgi_exporter's where it has one.
func AppendPrometheus(dst []byte, s *Snapshot) []byte {
	p := &promWriter{b: dst}
	p.family("uwsgi_listen_queue", "gauge", "Longest accept queue over the TCP sockets.")
	p.sample("uwsgi_listen_queue", nil, float64(s.ListenQueue))
	p.family("uwsgi_socket_queue", "gauge", "Connections waiting to be accepted on the socket.")
	for _, so := range s.Sockets {
		p.sample("uwsgi_socket_queue", []string{"name", so.Name, "proto", so.Proto}, float64(so.Queue))
	}
	p.family("uwsgi_socket_max_queue", "gauge", "Listen backlog of the socket.")
	for _, so := range s.Sockets {
		p.sample("uwsgi_socket_max_queue", []string{"name", so.Name, "proto", so.Proto}, float64(so.MaxQueue))
	}
	appendCacheMetrics(p, s.Caches)
	type metric struct {
		name, kind, help string
		value            func(*Worker) float64
	}
	for _, m := range []metric{
		{"uwsgi_worker_requests_total", "counter", "Requests served by the worker slot since the instance started.", func(w *Worker) float64 { return float64(w.Requests) }},
		{"uwsgi_worker_exceptions_total", "counter", "Requests whose handler panicked.", func(w *Worker) float64 { return float64(w.Exceptions) }},
		{"uwsgi_worker_harakiri_total", "counter", "Requests killed by harakiri.", func(w *Worker) float64 { return float64(w.HarakiriCount) }},
		{"uwsgi_worker_transmitted_bytes_total", "counter", "Response bytes sent, headers included.", func(w *Worker) float64 { return float64(w.TX) }},
		{"uwsgi_worker_running_time_seconds_total", "counter", "Time spent serving requests.", func(w *Worker) float64 { return float64(w.RunningTime) / 1e6 }},
		{"uwsgi_worker_respawns_total", "counter", "Times the worker was spawned.", func(w *Worker) float64 { return float64(w.RespawnCount) }},
		{"uwsgi_worker_average_response_time_seconds", "gauge", "uWSGI's running average of response times.", func(w *Worker) float64 { return float64(w.AvgRT) / 1e6 }},
		{"uwsgi_worker_rss_bytes", "gauge", "Resident memory of the worker.", func(w *Worker) float64 { return float64(w.RSS) }},
		{"uwsgi_worker_vsz_bytes", "gauge", "Virtual memory of the worker.", func(w *Worker) float64 { return float64(w.VSZ) }},
		{"uwsgi_worker_busy", "gauge", "1 when the worker serves a request.", func(w *Worker) float64 { return b2f(w.Status == "busy") }},
		{"uwsgi_worker_accepting", "gauge", "1 when the worker accepts requests.", func(w *Worker) float64 { return b2f(w.Accepting) }},
	} {
		p.family(m.name, m.kind, m.help)
		for i := range s.Workers {
			w := &s.Workers[i]
			p.sample(m.name, []string{"worker_id", strconv.Itoa(w.ID)}, m.value(w))
		}
	}
	p.family("uwsgi_worker_core_requests_total", "counter", "Requests served by each core (request slot) of a worker.")
	for _, w := range s.Workers {
		for _, c := range w.Cores {
			p.sample("uwsgi_worker_core_requests_total", []string{"worker_id", strconv.Itoa(w.ID), "core_id", strconv.Itoa(c.ID)}, float64(c.Requests))
		}
	}
	return p.b
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

type promWriter struct{ b []byte }

func (p *promWriter) family(name, kind, help string) {
	p.b = append(p.b, "# HELP "...)
	p.b = append(p.b, name...)
	p.b = append(p.b, ' ')
	p.b = append(p.b, help...)
	p.b = append(p.b, "\n# TYPE "...)
	p.b = append(p.b, name...)
	p.b = append(p.b, ' ')
	p.b = append(p.b, kind...)
	p.b = append(p.b, '\n')
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func (p *promWriter) sample(name string, labels []string, v float64) {
	p.b = append(p.b, name...)
	if len(labels) > 0 {
		p.b = append(p.b, '{')
		for i := 0; i < len(labels); i += 2 {
			if i > 0 {
				p.b = append(p.b, ',')
			}
			p.b = append(p.b, labels[i]...)
			p.b = append(p.b, `="`...)
			p.b = append(p.b, labelEscaper.Replace(labels[i+1])...)
			p.b = append(p.b, '"')
		}
		p.b = append(p.b, '}')
	}
	p.b = append(p.b, ' ')
	p.b = strconv.AppendFloat(p.b, v, 'g', -1, 64)
	p.b = append(p.b, '\n')
}

func appendCacheMetrics(p *promWriter, caches []Cache) {
	if len(caches) == 0 {
		return
	}
	for _, m := range []struct {
		name, kind, help string
		value            func(*Cache) float64
	}{
		{"uwsgi_cache_items", "gauge", "Items in the cache.", func(c *Cache) float64 { return float64(c.Items) }},
		{"uwsgi_cache_max_items", "gauge", "Item slots of the cache (one is reserved).", func(c *Cache) float64 { return float64(c.MaxItems) }},
		{"uwsgi_cache_hits_total", "counter", "Cache lookups that found their key.", func(c *Cache) float64 { return float64(c.Hits) }},
		{"uwsgi_cache_misses_total", "counter", "Cache lookups that did not.", func(c *Cache) float64 { return float64(c.Miss) }},
		{"uwsgi_cache_full_total", "counter", "Stores refused (or evictions) because the cache was full.", func(c *Cache) float64 { return float64(c.Full) }},
	} {
		p.family(m.name, m.kind, m.help)
		for i := range caches {
			p.sample(m.name, []string{"name", caches[i].Name}, m.value(&caches[i]))
		}
	}
}

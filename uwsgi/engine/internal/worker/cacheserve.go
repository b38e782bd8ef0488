package worker

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/cache"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/caches"
	"github.com/uwsgo/uwsgo/uwsgi/engine/internal/handoff"
	"github.com/uwsgo/uwsgo/uwsgi/proto"
)

// serveCache answers a cache packet (modifier1 111) on a uwsgi socket, as
// uWSGI's cache plugin: a miss or a failure closes the connection with no
// reply. Commands 0-5 use the default cache; 17 names its cache.
func (us *uwsgiServer) serveCache(uc *uconn) {
	block := uc.block()
	def := defaultCache()
	switch uc.hdr.Modifier2 {
	case proto.CacheGet, proto.CacheStream:
		if def == nil || len(block) == 0 {
			return
		}
		val, hit := def.GetAppend(nil, string(block))
		switch {
		case uc.hdr.Modifier2 == proto.CacheStream:
			h := proto.Header{Modifier1: uint8(proto.ModCache), Modifier2: handoff.Bit[uint8](hit)}.Bytes()
			_, _ = uc.Conn.Write(append(h[:], val...))
		case hit && len(val) <= proto.MaxDataSize:
			h := proto.Header{Modifier1: uint8(proto.ModCache), DataSize: uint16(len(val))}.Bytes()
			_, _ = uc.Conn.Write(append(h[:], val...))
		}
	case proto.CacheSetArray:
		var kv [][]byte
		_ = proto.ForEachArrayItem(block, func(it []byte) bool { kv = append(kv, it); return len(kv) < 3 })
		if def != nil && len(kv) > 1 {
			_ = def.Set(string(kv[0]), kv[1], 0)
		}
	case proto.CacheDelRaw:
		if def != nil && len(block) > 0 {
			_ = def.Del(string(block))
		}
	case proto.CacheDictGet, proto.CacheDictGet2:
		us.serveCacheDict(uc, def)
	case proto.CacheMagic:
		us.serveCacheMagic(uc)
	default:
		us.w.log.Printf("uwsgi: unsupported cache command (modifier2 %d) from %s", uc.hdr.Modifier2, uc.Conn.RemoteAddr())
	}
}

// serveCacheDict answers modifier2 3/4: vars key=K (the value, or nothing)
// and get=K (the value, or an HTTP 404).
func (us *uwsgiServer) serveCacheDict(uc *uconn, def *cache.Cache) {
	_, _ = proto.ForEachVar(uc.block(), proto.MaxPairs(us.w.opts.MaxVars), func(k, v []byte) bool {
		if len(v) == 0 || def == nil {
			return true
		}
		val, hit := def.GetAppend(nil, string(v))
		switch {
		case hit && (string(k) == "key" || string(k) == "get"):
			_, _ = uc.Conn.Write(val)
		case string(k) == "get":
			_, _ = io.WriteString(uc.Conn, "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n\r\nNot Found")
		}
		return true
	})
}

// serveCacheMagic answers the magic interface (modifier2 17).
func (us *uwsgiServer) serveCacheMagic(uc *uconn) {
	r, err := proto.ParseCacheRequest(uc.block())
	if err != nil {
		us.w.log.Printf("uwsgi: bad cache request from %s: %v", uc.Conn.RemoteAddr(), err)
		return
	}
	c := defaultCache()
	if len(r.Cache) > 0 {
		c = caches.Named(r.Cache)
	}
	if c == nil {
		return
	}
	key := string(r.Key)
	var reply []byte
	switch string(r.Cmd) {
	case "get":
		val, expires, hit := c.GetInfo(nil, key)
		if !hit {
			return
		}
		reply = append(proto.AppendCacheReply(nil, true, uint64(len(val)), expires), val...)
	case "exists":
		if !c.Exists(key) {
			return
		}
	case "del":
		if c.Del(key) != nil {
			return
		}
	case "clear":
		c.Clear()
	case "set", "update":
		if r.Size == 0 || r.Size > c.MaxValue() {
			return
		}
		val, err := uc.readTrailer(int(r.Size))
		if err != nil {
			us.w.log.Printf("uwsgi: cache %s of %q from %s: %v", r.Cmd, key, uc.Conn.RemoteAddr(), err)
			return
		}
		var expires int64
		if r.Expires > 0 {
			expires = time.Now().Unix() + int64(r.Expires)
		}
		if c.SetAbs(key, val, expires, string(r.Cmd) == "update") != nil {
			return
		}
	default:
		us.w.log.Printf("uwsgi: unknown cache command %q from %s", r.Cmd, uc.Conn.RemoteAddr())
		return
	}
	if reply == nil {
		reply = proto.AppendCacheReply(nil, false, 0, 0)
	}
	_, _ = uc.Conn.Write(reply)
}

// readTrailer reads the n bytes that follow the packet: those already in
// the buffer, then the rest from the connection.
func (uc *uconn) readTrailer(n int) ([]byte, error) {
	out := make([]byte, n)
	got := copy(out, uc.buf[proto.HeaderSize+int(uc.hdr.DataSize):uc.n])
	for got < n {
		_ = uc.Conn.SetReadDeadline(time.Now().Add(uc.timeout))
		m, err := uc.Conn.Read(out[got:])
		got += m
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("the value ended after %d of %d bytes", got, n)
			}
			return nil, err
		}
	}
	return out, nil
}

// defaultCache is the first cache created, or nil.
func defaultCache() *cache.Cache {
	if len(caches.All()) == 0 {
		return nil
	}
	return caches.All()[0]
}

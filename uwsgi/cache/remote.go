package cache

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/uwsgo/uwsgo/uwsgi/internal/sockaddr"
	"github.com/uwsgo/uwsgo/uwsgi/proto"
)

// ErrRemoteRefused is returned when a remote cache closes the connection
// instead of answering: uWSGI's way of saying the key was missing, already
// there, too large, or the cache full (it sends no reason).
var ErrRemoteRefused = errors.New("uwsgi: the remote cache refused the operation")

// Remote is a cache of another uWSGI or uwsgo instance, reached through its
// uwsgi socket with the cache plugin's magic interface (modifier1 111,
// modifier2 17).
type Remote struct {
	Name    string        // the cache's name there; "" = its default cache
	Addr    string        // host:port, or a unix socket path
	Timeout time.Duration // for the connection and each read and write
}

// ParseRemote splits uWSGI's "name@address" cache identifier; ok is false
// for a local cache name.
func ParseRemote(id string, timeout time.Duration) (Remote, bool) {
	name, addr, ok := strings.Cut(id, "@")
	if !ok {
		return Remote{}, false
	}
	return Remote{Name: name, Addr: addr, Timeout: timeout}, true
}

// Get fetches key; ok is false when the remote has no such key.
func (r Remote) Get(key string) ([]byte, bool, error) {
	c, rep, err := r.do("get", key, nil, 0)
	if errors.Is(err, ErrRemoteRefused) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer c.Close()
	val := make([]byte, rep.Size)
	if _, err := io.ReadFull(c, val); err != nil {
		return nil, false, fmt.Errorf("uwsgi: remote cache %s: reading the value: %w", r.Addr, err)
	}
	return val, true, nil
}

// Exists reports whether the remote has key.
func (r Remote) Exists(key string) (bool, error) {
	return r.simple("exists", key)
}

// Set stores key if it is absent there.
func (r Remote) Set(key string, val []byte, ttl time.Duration) error {
	return r.store("set", key, val, ttl)
}

// Update stores key there, creating or replacing it.
func (r Remote) Update(key string, val []byte, ttl time.Duration) error {
	return r.store("update", key, val, ttl)
}

// Del removes key there.
func (r Remote) Del(key string) error {
	ok, err := r.simple("del", key)
	if err == nil && !ok {
		err = ErrNotFound
	}
	return err
}

// Clear empties the remote cache.
func (r Remote) Clear() error {
	ok, err := r.simple("clear", "")
	if err == nil && !ok {
		err = ErrRemoteRefused
	}
	return err
}

func (r Remote) store(cmd, key string, val []byte, ttl time.Duration) error {
	if len(key) == 0 || len(val) == 0 {
		return ErrEmpty
	}
	var secs uint64
	if ttl > 0 {
		secs = uint64((ttl + time.Second - 1) / time.Second)
	}
	c, _, err := r.do(cmd, key, val, secs)
	if err == nil {
		c.Close()
	}
	return err
}

func (r Remote) simple(cmd, key string) (bool, error) {
	c, _, err := r.do(cmd, key, nil, 0)
	if errors.Is(err, ErrRemoteRefused) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	c.Close()
	return true, nil
}

// do sends one magic request (and val after it) and reads the reply's
// header and vars; the caller closes the returned connection.
func (r Remote) do(cmd, key string, val []byte, expires uint64) (net.Conn, proto.CacheReply, error) {
	var rep proto.CacheReply
	pkt, err := proto.AppendCacheRequest(nil, cmd, key, r.Name, uint64(len(val)), expires)
	if err != nil {
		return nil, rep, err
	}
	timeout := max(r.Timeout, time.Second)
	c, err := net.DialTimeout(sockaddr.Network(r.Addr), r.Addr, timeout)
	if err != nil {
		return nil, rep, fmt.Errorf("uwsgi: remote cache %s: %w", r.Addr, err)
	}
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err = c.Write(append(pkt, val...)); err != nil {
		c.Close()
		return nil, rep, fmt.Errorf("uwsgi: remote cache %s: %w", r.Addr, err)
	}
	var hb [proto.HeaderSize]byte
	if _, err := io.ReadFull(c, hb[:]); err != nil {
		c.Close()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || isReset(err) {
			return nil, rep, ErrRemoteRefused
		}
		return nil, rep, fmt.Errorf("uwsgi: remote cache %s: %w", r.Addr, err)
	}
	h, _ := proto.ParseHeader(hb[:])
	block := make([]byte, h.DataSize)
	if _, err := io.ReadFull(c, block); err != nil {
		c.Close()
		return nil, rep, fmt.Errorf("uwsgi: remote cache %s: %w", r.Addr, err)
	}
	if rep, err = proto.ParseCacheReply(block); err != nil || h.Modifier1 != uint8(proto.ModCache) || !rep.OK {
		c.Close()
		return nil, rep, ErrRemoteRefused
	}
	return c, rep, nil
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")
}

package proto

import (
	"encoding/binary"
	"errors"
)

// Modifier is a modifier1 value: the kind of a uwsgi packet.
type Modifier uint8

// The modifier1 values uwsgo handles or names.
const (
	ModWSGI         Modifier = 0   // an app request; what nginx sends by default
	ModGo           Modifier = 11  // an app request for a Go app (the gccgo plugin's)
	ModSpooler      Modifier = 17  // a spooler task
	ModPing         Modifier = 100 // ping: answered with modifier2 1
	ModEcho         Modifier = 101 // echo the vars block back
	ModSignal       Modifier = 110 // raise the uWSGI signal modifier2
	ModCache        Modifier = 111 // cache operations
	ModRPC          Modifier = 173 // remote procedure call
	ModClose        Modifier = 200 // end of a persistent connection
	ModSubscription Modifier = 224 // subscription to a router (UDP)
	ModResponse     Modifier = 255 // a generic response, result in modifier2
)

// HeaderSize is the length of a packet header.
const HeaderSize = 4

// MaxDataSize is the largest block a packet can carry.
const MaxDataSize = 65535

// Header is a packet header.
type Header struct {
	Modifier1 uint8
	DataSize  uint16
	Modifier2 uint8
}

// ErrShortHeader is returned for fewer than HeaderSize bytes.
var ErrShortHeader = errors.New("uwsgi: packet header needs 4 bytes")

// ParseHeader decodes the first four bytes of b.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, ErrShortHeader
	}
	return Header{Modifier1: b[0], DataSize: binary.LittleEndian.Uint16(b[1:3]), Modifier2: b[3]}, nil
}

// AppendTo appends the encoded header to dst.
func (h Header) AppendTo(dst []byte) []byte {
	return append(dst, h.Modifier1, byte(h.DataSize), byte(h.DataSize>>8), h.Modifier2)
}

// Bytes returns the encoded header.
func (h Header) Bytes() [4]byte {
	return [4]byte{h.Modifier1, byte(h.DataSize), byte(h.DataSize >> 8), h.Modifier2}
}

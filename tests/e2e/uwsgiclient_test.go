package e2e

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// uwsgiRequest sends one uwsgi packet (modifier1 0, as nginx does) with the
// given vars and body to addr and returns the raw HTTP response parsed.
func uwsgiRequest(network, addr string, vars map[string]string, body []byte) (*http.Response, []byte, error) {
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(uwsgiPacket(0, vars)); err != nil {
		return nil, nil, err
	}
	if len(body) > 0 {
		if _, err := c.Write(body); err != nil {
			return nil, nil, err
		}
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil, nil, err
	}
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

// uwsgiPacket encodes a request packet: header and vars block.
func uwsgiPacket(modifier1 byte, vars map[string]string) []byte {
	var block []byte
	for k, v := range vars {
		block = binary.LittleEndian.AppendUint16(block, uint16(len(k)))
		block = append(block, k...)
		block = binary.LittleEndian.AppendUint16(block, uint16(len(v)))
		block = append(block, v...)
	}
	pkt := []byte{modifier1, 0, 0, 0}
	binary.LittleEndian.PutUint16(pkt[1:3], uint16(len(block)))
	return append(pkt, block...)
}

// getVars is the vars nginx would send for GET path.
func getVars(path string) map[string]string {
	return map[string]string{
		"REQUEST_METHOD": "GET", "REQUEST_URI": path, "PATH_INFO": path, "QUERY_STRING": "",
		"SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "localhost", "REMOTE_ADDR": "127.0.0.1",
		"REMOTE_PORT": "5555", "SERVER_NAME": "localhost", "SERVER_PORT": "80",
	}
}

// uwsgiGet does GET path over the uwsgi protocol and returns status and body.
func uwsgiGet(network, addr, path string) (int, string, error) {
	resp, b, err := uwsgiRequest(network, addr, getVars(path), nil)
	if err != nil {
		return 0, "", err
	}
	if resp.StatusCode != 200 {
		return resp.StatusCode, string(b), fmt.Errorf("status %d", resp.StatusCode)
	}
	return resp.StatusCode, string(b), nil
}

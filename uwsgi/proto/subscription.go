package proto

import "strconv"

// Subscription commands (modifier2 of a ModSubscription packet).
const (
	Subscribe   uint8 = 0
	Unsubscribe uint8 = 1
)

// Subscription is what an instance announces to a uWSGI router's
// subscription server.
type Subscription struct {
	Key       string // the virtual host (or any key) the router routes on
	Address   string // where the router forwards: the instance's uwsgi socket
	Modifier1 int
	Modifier2 int
	Cores     int // processes × cores
	Load      int // listen queue
	Weight    int // 0: the router treats it as 1
}

// AppendSubscription appends a subscription packet with uWSGI 2.0's vars in
// its order: key, address, modifier1, modifier2, cores, load, weight.
func AppendSubscription(dst []byte, cmd uint8, s Subscription) ([]byte, error) {
	return AppendPacket(dst, uint8(ModSubscription), cmd,
		"key", s.Key, "address", s.Address,
		"modifier1", strconv.Itoa(s.Modifier1), "modifier2", strconv.Itoa(s.Modifier2),
		"cores", strconv.Itoa(s.Cores), "load", strconv.Itoa(s.Load), "weight", strconv.Itoa(s.Weight))
}

// ParseSubscription decodes a subscription packet (for tests and routers).
func ParseSubscription(pkt []byte) (cmd uint8, s Subscription, err error) {
	h, err := ParseHeader(pkt)
	if err != nil {
		return 0, s, err
	}
	if int(h.DataSize) > len(pkt)-HeaderSize {
		return 0, s, ErrTruncated
	}
	_, err = ForEachVar(pkt[HeaderSize:HeaderSize+int(h.DataSize)], 64, func(k, v []byte) bool {
		n, _ := strconv.Atoi(string(v))
		switch string(k) {
		case "key":
			s.Key = string(v)
		case "address":
			s.Address = string(v)
		case "modifier1":
			s.Modifier1 = n
		case "modifier2":
			s.Modifier2 = n
		case "cores":
			s.Cores = n
		case "load":
			s.Load = n
		case "weight":
			s.Weight = n
		}
		return true
	})
	return h.Modifier2, s, err
}

package reqlog

import "strconv"

// appendDefault writes uWSGI's default line (defaultFormat) straight, as
// the compiled ops would, without dispatching on each of its 37 tokens:
// it is the line every request of a default set-up writes.
// TestDefaultFastPathMatchesOps holds it to the ops' output.
func appendDefault(dst []byte, r *Record) []byte {
	dst = append(dst, "[pid: "...)
	dst = appendDec(dst, int64(r.PID))
	dst = append(dst, "|app: "...)
	dst = appendDec(dst, int64(r.AppID))
	dst = append(dst, "|req: "...)
	dst = appendUdec(dst, r.AppRequests)
	dst = append(dst, '/')
	dst = appendUdec(dst, r.TotalRequests)
	dst = append(dst, "] "...)
	dst = orDash(dst, r.RemoteAddr)
	dst = append(dst, " ("...)
	dst = append(dst, r.RemoteUser...)
	dst = append(dst, ") {"...)
	dst = appendDec(dst, int64(r.Vars))
	dst = append(dst, " vars in "...)
	dst = appendDec(dst, int64(r.PacketSize))
	dst = append(dst, " bytes} ["...)
	dst = appendCtime(dst, r.Start)
	dst = append(dst, "] "...)
	dst = orDash(dst, r.Method)
	dst = append(dst, ' ')
	dst = orDash(dst, r.URI)
	dst = append(dst, " => generated "...)
	dst = appendDec(dst, r.BodySize)
	dst = append(dst, " bytes in "...)
	dst = appendDec(dst, r.Duration.Milliseconds())
	dst = append(dst, " msecs ("...)
	dst = append(dst, r.Proto...)
	dst = append(dst, ' ')
	dst = appendDec(dst, int64(r.Status))
	dst = append(dst, ") "...)
	dst = appendDec(dst, int64(r.HeaderCount))
	dst = append(dst, " headers in "...)
	dst = appendDec(dst, int64(r.HeaderBytes))
	dst = append(dst, " bytes ("...)
	dst = appendDec(dst, int64(r.Switches))
	dst = append(dst, " switches on core "...)
	dst = appendDec(dst, int64(r.Core))
	return append(dst, ')')
}

// appendDec appends n in decimal: strconv.AppendInt without its generality
// (a dozen numbers per line, most under 100).
func appendDec(dst []byte, n int64) []byte {
	if n < 0 {
		return strconv.AppendInt(dst, n, 10)
	}
	return appendUdec(dst, uint64(n))
}

func appendUdec(dst []byte, n uint64) []byte {
	if n < 10 {
		return append(dst, byte('0'+n))
	}
	var b [20]byte
	i := len(b)
	for n >= 10 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	i--
	b[i] = byte('0' + n)
	return append(dst, b[i:]...)
}

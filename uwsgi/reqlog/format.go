package reqlog

import (
	"strconv"
	"strings"
	"time"
)

// defaultFormat is uWSGI 2.0's request line. The tokens with a leading dot
// are internal: the app id and counters, and the user and protocol printed
// as they are even when empty ("()", "( 200)").
const defaultFormat = "[pid: %(pid)|app: %(.app)|req: %(.appreq)/%(.totreq)] %(addr) (%(.user)) {%(vars) vars in %(pktsize) bytes} [%(ctime)] %(method) %(uri) => generated %(rsize) bytes in %(msecs) msecs (%(.proto) %(status)) %(headers) headers in %(hsize) bytes (%(switches) switches on core %(core))"

// Format is a compiled log format.
type Format struct {
	ops []op
	// MemoryReport prefixes lines with the worker's memory, as uWSGI's
	// --memory-report does.
	MemoryReport bool
	isDefault    bool
	slowDefault  bool // tests: the default line through the ops
}

type op struct {
	lit   string
	field field
	name  string // for var.NAME
}

type field uint8

const (
	fLiteral field = iota
	fURI
	fMethod
	fUser
	fAddr
	fHost
	fProto
	fUagent
	fReferer
	fStatus
	fMicros
	fMsecs
	fSecs
	fTime
	fCtime
	fLtime
	fEpoch
	fTmsecs
	fTmicros
	fSize
	fHsize
	fRsize
	fCl
	fPid
	fWid
	fSwitches
	fVars
	fCore
	fVsz
	fRss
	fVszM
	fRssM
	fPktsize
	fMod1
	fMod2
	fHeaders
	fRerr
	fWerr
	fIoerr
	fVar
	fApp
	fAppReq
	fTotReq
	fUserRaw
	fProtoRaw
	fUnknown
)

var fieldNames = map[string]field{
	"uri": fURI, "method": fMethod, "user": fUser, "addr": fAddr, "host": fHost, "proto": fProto,
	"uagent": fUagent, "referer": fReferer, "status": fStatus, "micros": fMicros, "msecs": fMsecs,
	"secs": fSecs, "time": fTime, "ctime": fCtime, "ltime": fLtime, "epoch": fEpoch, "tmsecs": fTmsecs,
	"tmicros": fTmicros, "size": fSize, "hsize": fHsize, "rsize": fRsize, "cl": fCl, "pid": fPid,
	"wid": fWid, "switches": fSwitches, "vars": fVars, "core": fCore, "vsz": fVsz, "rss": fRss,
	"vszM": fVszM, "rssM": fRssM, "pktsize": fPktsize, "modifier1": fMod1, "modifier2": fMod2,
	"headers": fHeaders, "rerr": fRerr, "werr": fWerr, "ioerr": fIoerr,
	".app": fApp, ".appreq": fAppReq, ".totreq": fTotReq, ".user": fUserRaw, ".proto": fProtoRaw,
}

// Compile parses a --log-format string; "" gives the default line. Unknown
// names are uWSGI's user log variables, which uwsgo does not have: they
// print "-". It never fails today; the error is for future syntax checks.
func Compile(format string) (*Format, error) {
	f := &Format{}
	if format == "" {
		format, f.isDefault = defaultFormat, true
	}
	for len(format) > 0 {
		i := strings.Index(format, "%(")
		j := -1
		if i >= 0 {
			j = strings.IndexByte(format[i:], ')')
		}
		if i < 0 || j < 0 {
			f.ops = append(f.ops, op{lit: format})
			break
		}
		if i > 0 {
			f.ops = append(f.ops, op{lit: format[:i]})
		}
		name := format[i+2 : i+j]
		f.ops = append(f.ops, compileName(name))
		format = format[i+j+1:]
	}
	return f, nil
}

func compileName(name string) op {
	if v, ok := strings.CutPrefix(name, "var."); ok {
		return op{field: fVar, name: v}
	}
	if fl, ok := fieldNames[name]; ok {
		return op{field: fl}
	}
	return op{field: fUnknown, name: name}
}

// maxLine is where uWSGI gives up on a line and logs a minimal one.
const maxLine = 4096

// Append writes r's line, with a trailing newline, to dst.
func (f *Format) Append(dst []byte, r *Record) []byte {
	start := len(dst)
	if f.MemoryReport {
		dst = appendMemory(dst, r)
	}
	if f.isDefault && !f.slowDefault {
		dst = appendDefault(dst, r)
	} else {
		for i := range f.ops {
			dst = f.ops[i].append(dst, r)
		}
	}
	if f.isDefault && len(dst)-start > maxLine {
		dst = appendMinimal(dst[:start], r)
	}
	return append(dst, '\n')
}

func appendMemory(dst []byte, r *Record) []byte {
	dst = append(dst, "{address space usage: "...)
	dst = strconv.AppendUint(dst, r.VSZ, 10)
	dst = append(dst, " bytes/"...)
	dst = strconv.AppendUint(dst, r.VSZ>>20, 10)
	dst = append(dst, "MB} {rss usage: "...)
	dst = strconv.AppendUint(dst, r.RSS, 10)
	dst = append(dst, " bytes/"...)
	dst = strconv.AppendUint(dst, r.RSS>>20, 10)
	return append(dst, "MB} "...)
}

// appendMinimal is uWSGI's fallback for a line over 4096 bytes.
func appendMinimal(dst []byte, r *Record) []byte {
	dst = append(dst, "[pid: "...)
	dst = strconv.AppendInt(dst, int64(r.PID), 10)
	dst = append(dst, "|app: 0|req: "...)
	dst = strconv.AppendUint(dst, r.AppRequests, 10)
	dst = append(dst, '/')
	dst = strconv.AppendUint(dst, r.TotalRequests, 10)
	dst = append(dst, "] 0.0.0.0 () {"...)
	dst = strconv.AppendInt(dst, int64(r.Vars), 10)
	dst = append(dst, " vars in "...)
	dst = strconv.AppendInt(dst, int64(r.PacketSize), 10)
	dst = append(dst, " bytes} ["...)
	dst = appendCtime(dst, r.Start)
	dst = append(dst, "] - - => generated "...)
	dst = strconv.AppendInt(dst, r.BodySize, 10)
	dst = append(dst, " bytes in "...)
	dst = strconv.AppendInt(dst, r.Duration.Milliseconds(), 10)
	dst = append(dst, " msecs (- "...)
	dst = strconv.AppendInt(dst, int64(r.Status), 10)
	return append(dst, ")"...)
}

func orDash(dst, b []byte) []byte {
	if len(b) == 0 {
		return append(dst, '-')
	}
	return append(dst, b...)
}

func (o *op) append(dst []byte, r *Record) []byte {
	switch o.field {
	case fLiteral:
		return append(dst, o.lit...)
	case fURI:
		return orDash(dst, r.URI)
	case fMethod:
		return orDash(dst, r.Method)
	case fUser:
		return orDash(dst, r.RemoteUser)
	case fUserRaw:
		return append(dst, r.RemoteUser...)
	case fProtoRaw:
		return append(dst, r.Proto...)
	case fAddr:
		return orDash(dst, r.RemoteAddr)
	case fHost:
		return orDash(dst, r.Host)
	case fProto:
		return orDash(dst, r.Proto)
	case fUagent:
		return orDash(dst, r.UserAgent)
	case fReferer:
		return orDash(dst, r.Referer)
	case fVar:
		if r.Var == nil {
			return append(dst, '-')
		}
		return orDash(dst, r.Var(o.name))
	case fUnknown:
		return append(dst, '-')
	}
	return o.appendNumber(dst, r)
}

func (o *op) appendNumber(dst []byte, r *Record) []byte {
	i := func(n int64) []byte { return strconv.AppendInt(dst, n, 10) }
	u := func(n uint64) []byte { return strconv.AppendUint(dst, n, 10) }
	b := func(v bool) []byte {
		if v {
			return append(dst, '1')
		}
		return append(dst, '0')
	}
	switch o.field {
	case fStatus:
		return i(int64(r.Status))
	case fMicros:
		return i(r.Duration.Microseconds())
	case fMsecs:
		return i(r.Duration.Milliseconds())
	case fSecs:
		return strconv.AppendFloat(dst, r.Duration.Seconds(), 'f', 6, 64)
	case fTime:
		return i(r.Start.Unix())
	case fCtime:
		return appendCtime(dst, r.Start)
	case fLtime:
		return r.Start.AppendFormat(dst, "02/Jan/2006:15:04:05 -0700")
	case fEpoch:
		return i(time.Now().Unix())
	case fTmsecs:
		return i(r.Start.UnixMilli())
	case fTmicros:
		return i(r.Start.UnixMicro())
	case fSize:
		return i(r.BodySize + int64(r.HeaderBytes))
	case fHsize:
		return i(int64(r.HeaderBytes))
	case fRsize:
		return i(r.BodySize)
	case fCl:
		return i(r.RequestContentLength)
	case fPid:
		return i(int64(r.PID))
	case fWid:
		return i(int64(r.WorkerID))
	case fSwitches:
		return i(int64(r.Switches))
	case fVars:
		return i(int64(r.Vars))
	case fCore:
		return i(int64(r.Core))
	case fVsz:
		return u(r.VSZ)
	case fRss:
		return u(r.RSS)
	case fVszM:
		return u(r.VSZ >> 20)
	case fRssM:
		return u(r.RSS >> 20)
	case fPktsize:
		return i(int64(r.PacketSize))
	case fMod1:
		return i(int64(r.Modifier1))
	case fMod2:
		return i(int64(r.Modifier2))
	case fHeaders:
		return i(int64(r.HeaderCount))
	case fRerr:
		return b(r.ReadErr)
	case fWerr:
		return b(r.WriteErr)
	case fIoerr:
		return b(r.ReadErr || r.WriteErr)
	case fApp:
		return i(int64(r.AppID))
	case fAppReq:
		return u(r.AppRequests)
	case fTotReq:
		return u(r.TotalRequests)
	}
	return append(dst, '-')
}

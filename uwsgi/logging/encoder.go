package logging

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Encoder transforms a line on its way to a logger (uWSGI's log encoders,
// applied in the order given).
type Encoder struct {
	Name   string
	Logger string // only for this named logger ("" = every logger)
	apply  func(dst, msg []byte) []byte
}

// ParseEncoder reads "name[:logger][ args]": prefix ARGS, suffix ARGS, nl,
// format ARGS and json ARGS (with ${msg}, ${msgnl}, ${unix}, ${micros},
// ${millis}, ${strftime:FORMAT}; json escapes msg), gzip.
func ParseEncoder(spec string) (*Encoder, error) {
	head, args, _ := strings.Cut(spec, " ")
	name, logger, _ := strings.Cut(head, ":")
	e := &Encoder{Name: name, Logger: logger}
	switch name {
	case "prefix":
		e.apply = func(dst, msg []byte) []byte { return append(append(dst, args...), msg...) }
	case "suffix":
		e.apply = func(dst, msg []byte) []byte { return append(append(dst, msg...), args...) }
	case "nl":
		e.apply = func(dst, msg []byte) []byte { return append(append(dst, msg...), '\n') }
	case "format", "json":
		parts := parseVars(args)
		json := name == "json"
		e.apply = func(dst, msg []byte) []byte { return appendFormat(dst, parts, msg, json) }
	case "gzip":
		e.apply = func(dst, msg []byte) []byte {
			var b bytes.Buffer
			z := gzip.NewWriter(&b)
			_, _ = z.Write(msg)
			_ = z.Close()
			return append(dst, b.Bytes()...)
		}
	default:
		return nil, fmt.Errorf("log encoder %q: unknown encoder %q (prefix, suffix, nl, format, json, gzip)", spec, name)
	}
	return e, nil
}

// part is literal text, or a ${var} when isVar.
type part struct {
	text  string
	isVar bool
}

func parseVars(s string) []part {
	var parts []part
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		if i > 0 {
			parts = append(parts, part{text: s[:i]})
		}
		parts = append(parts, part{text: s[i+2 : i+j], isVar: true})
		s = s[i+j+1:]
	}
	if s != "" {
		parts = append(parts, part{text: s})
	}
	return parts
}

func appendFormat(dst []byte, parts []part, msg []byte, json bool) []byte {
	now := time.Now()
	esc := func(dst, b []byte) []byte {
		if json {
			return appendJSONEscaped(dst, b)
		}
		return append(dst, b...)
	}
	for _, p := range parts {
		if !p.isVar {
			dst = append(dst, p.text...)
			continue
		}
		switch {
		case p.text == "msg":
			dst = esc(dst, bytes.TrimSuffix(msg, []byte("\n")))
		case p.text == "msgnl":
			dst = esc(dst, msg)
		case p.text == "unix":
			dst = strconv.AppendInt(dst, now.Unix(), 10)
		case p.text == "micros":
			dst = strconv.AppendInt(dst, now.UnixMicro(), 10)
		case p.text == "millis":
			dst = strconv.AppendInt(dst, now.UnixMilli(), 10)
		case strings.HasPrefix(p.text, "strftime:"):
			dst = AppendStrftime(dst, p.text[len("strftime:"):], now)
		}
	}
	return dst
}

// appendJSONEscaped escapes b for the inside of a JSON string.
func appendJSONEscaped(dst, b []byte) []byte {
	const hex = "0123456789abcdef"
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// AppendStrftime formats t with C strftime's common conversions (%Y %m %d
// %H %M %S %y %j %e %a %A %b %B %p %z %Z %s %F %T %D %R %c %n %t %%);
// others are copied as they are.
func AppendStrftime(dst []byte, f string, t time.Time) []byte {
	pad := func(dst []byte, n, w int) []byte {
		s := strconv.Itoa(n)
		for len(s) < w {
			s = "0" + s
		}
		return append(dst, s...)
	}
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			dst = append(dst, f[i])
			continue
		}
		i++
		switch f[i] {
		case 'Y':
			dst = pad(dst, t.Year(), 4)
		case 'y':
			dst = pad(dst, t.Year()%100, 2)
		case 'm':
			dst = pad(dst, int(t.Month()), 2)
		case 'd':
			dst = pad(dst, t.Day(), 2)
		case 'e':
			dst = append(dst, fmt.Sprintf("%2d", t.Day())...)
		case 'H':
			dst = pad(dst, t.Hour(), 2)
		case 'M':
			dst = pad(dst, t.Minute(), 2)
		case 'S':
			dst = pad(dst, t.Second(), 2)
		case 'j':
			dst = pad(dst, t.YearDay(), 3)
		case 'a':
			dst = append(dst, t.Format("Mon")...)
		case 'A':
			dst = append(dst, t.Format("Monday")...)
		case 'b', 'h':
			dst = append(dst, t.Format("Jan")...)
		case 'B':
			dst = append(dst, t.Format("January")...)
		case 'p':
			dst = append(dst, t.Format("PM")...)
		case 'z':
			dst = append(dst, t.Format("-0700")...)
		case 'Z':
			dst = append(dst, t.Format("MST")...)
		case 's':
			dst = strconv.AppendInt(dst, t.Unix(), 10)
		case 'F':
			dst = AppendStrftime(dst, "%Y-%m-%d", t)
		case 'T':
			dst = AppendStrftime(dst, "%H:%M:%S", t)
		case 'D':
			dst = AppendStrftime(dst, "%m/%d/%y", t)
		case 'R':
			dst = AppendStrftime(dst, "%H:%M", t)
		case 'c':
			dst = append(dst, t.Format("Mon Jan  2 15:04:05 2006")...)
		case 'n':
			dst = append(dst, '\n')
		case 't':
			dst = append(dst, '\t')
		case '%':
			dst = append(dst, '%')
		default:
			dst = append(dst, '%', f[i])
		}
	}
	return dst
}

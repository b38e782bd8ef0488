package config

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// parseXML reads a uWSGI XML config as uWSGI 2.0 (built with libxml2, as
// Debian's is) does:
//
//   - the root element is <uwsgi>, or holds <uwsgi> elements: the first one
//     whose id attribute is the wanted id (or that has no id) is used;
//   - each child element is an option: its text is the value, an empty
//     element (<master/>) is "1", a repeated element adds one more value;
//   - a child with an id attribute other than the wanted id is skipped;
//   - a CDATA section directly in <uwsgi> is an "eval" option;
//   - <app mountpoint="/x">script</app> is mount = /x=script.
//
// uwsgo trims the white space around a value (uWSGI keeps it, so a value
// written on its own line carries newlines into paths and numbers).
func parseXML(text, path, id string) ([]entry, error) {
	x := &xmlReader{dec: xml.NewDecoder(strings.NewReader(text)), text: text, path: path, id: id}
	x.dec.Strict = true
	x.dec.Entity = xml.HTMLEntity
	x.lines = lineStarts(text)
	root, err := x.next()
	for err == nil && !isStart(root) {
		root, err = x.next()
	}
	if err != nil {
		return nil, x.fail(err, "invalid xml config file")
	}
	start := root.(xml.StartElement)
	if start.Name.Local != "uwsgi" {
		if err := x.findStanza(); err != nil {
			return nil, err
		}
	}
	return x.options()
}

type xmlReader struct {
	dec   *xml.Decoder
	text  string
	path  string
	id    string
	lines []int
	out   []entry
}

func isStart(t xml.Token) bool { _, ok := t.(xml.StartElement); return ok }

func (x *xmlReader) next() (xml.Token, error) {
	t, err := x.dec.Token()
	if err != nil {
		return nil, err
	}
	return xml.CopyToken(t), nil
}

// line is the line of byte offset off.
func (x *xmlReader) line(off int64) int {
	return sort.SearchInts(x.lines, int(off)+1)
}

func lineStarts(text string) []int {
	starts := []int{0}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}

func (x *xmlReader) fail(err error, what string) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("uwsgi: %s:%d: %s: %s", x.path, se.Line, what, se.Msg)
	}
	if err == io.EOF {
		return fmt.Errorf("uwsgi: %s: %s: no root element", x.path, what)
	}
	return fmt.Errorf("uwsgi: %s:%d: %s: %v", x.path, x.line(x.dec.InputOffset()), what, err)
}

func attr(s xml.StartElement, name string) (string, bool) {
	for _, a := range s.Attr {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// findStanza moves to the first <uwsgi> child of the root with the wanted id.
func (x *xmlReader) findStanza() error {
	for {
		t, err := x.next()
		if err == io.EOF {
			return fmt.Errorf("uwsgi: %s: invalid xml root element, <uwsgi> expected", x.path)
		}
		if err != nil {
			return x.fail(err, "could not parse file")
		}
		s, ok := t.(xml.StartElement)
		if !ok {
			if _, end := t.(xml.EndElement); end {
				return fmt.Errorf("uwsgi: %s: invalid xml root element, <uwsgi> expected", x.path)
			}
			continue
		}
		if v, has := attr(s, "id"); s.Name.Local == "uwsgi" && (x.id == "" || !has || v == x.id) {
			return nil
		}
		if err := x.dec.Skip(); err != nil {
			return x.fail(err, "could not parse file")
		}
	}
}

// options reads the children of the chosen <uwsgi> element, then checks the
// rest of the document is well formed.
func (x *xmlReader) options() ([]entry, error) {
	for {
		off := x.dec.InputOffset()
		t, err := x.next()
		if err != nil {
			return nil, x.fail(err, "could not parse file")
		}
		switch t := t.(type) {
		case xml.EndElement:
			return x.out, x.drain()
		case xml.CharData:
			if bytes.HasPrefix([]byte(x.text[off:]), []byte("<![CDATA[")) {
				x.add("eval", string(t), off)
			}
		case xml.StartElement:
			if err := x.option(t, off); err != nil {
				return nil, err
			}
		}
	}
}

// drain reads the rest of the document for syntax errors.
func (x *xmlReader) drain() error {
	for {
		if _, err := x.next(); err == io.EOF {
			return nil
		} else if err != nil {
			return x.fail(err, "could not parse file")
		}
	}
}

func (x *xmlReader) add(key, val string, off int64) {
	x.out = append(x.out, entry{key: key, val: strings.TrimSpace(val), src: Source{File: x.path, Line: x.line(off)}, file: true})
}

// option reads one child element of <uwsgi>.
func (x *xmlReader) option(s xml.StartElement, off int64) error {
	if v, has := attr(s, "id"); has && x.id != "" && v != x.id {
		return x.skip()
	}
	text, inner, nested, empty, err := x.content()
	if err != nil {
		return err
	}
	name := s.Name.Local
	if name == "app" {
		mp, hasMP := attr(s, "mountpoint")
		dom, hasDom := attr(s, "domain")
		if nested {
			text = inner
		}
		if !empty {
			switch {
			case hasMP:
				text = mp + "=" + strings.TrimSpace(text)
			case hasDom:
				text = dom + "|=" + strings.TrimSpace(text)
			}
			x.add("mount", text, off)
		}
		x.add("app", "", off)
		return nil
	}
	if nested {
		return fmt.Errorf("uwsgi: %s:%d: <%s> holds an element: an option's value is text", x.path, x.line(off), name)
	}
	if empty {
		text = "1"
	}
	x.add(name, text, off)
	return nil
}

func (x *xmlReader) skip() error {
	if err := x.dec.Skip(); err != nil {
		return x.fail(err, "could not parse file")
	}
	return nil
}

// content reads an element's body up to its end: its text, the text of
// its first child element, whether it holds elements and whether it is empty.
func (x *xmlReader) content() (text, inner string, nested, empty bool, err error) {
	var b, in strings.Builder
	empty = true
	children := 0
	for depth := 1; ; {
		t, err := x.next()
		if err != nil {
			return "", "", false, false, x.fail(err, "could not parse file")
		}
		switch t := t.(type) {
		case xml.StartElement:
			if depth == 1 {
				children++
			}
			depth++
			nested, empty = true, false
		case xml.EndElement:
			if depth--; depth == 0 {
				return b.String(), in.String(), nested, empty, nil
			}
		case xml.CharData:
			empty = false
			switch {
			case depth == 1:
				b.Write(t)
			case depth == 2 && children == 1:
				in.Write(t)
			}
		case xml.Comment:
			empty = false
		}
	}
}

package routing

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// What an action tells the rule loop.
type flow int

const (
	next     flow = iota // go on with the next rule
	stop                 // stop the rules, run the app (continue, last, rewrite-last)
	answered             // the request is answered (break, redirect, static...)
)

// action is a compiled ACTION[:ARG].
type action struct {
	name      string
	arg       string
	gotoLabel string
	gotoIndex int
	run       func(req Request, x expander) flow
}

func compileAction(spec string) (action, error) {
	name, arg, _ := strings.Cut(spec, ":")
	a := action{name: name, arg: arg, gotoIndex: -1}
	simple := func(f func(req Request, arg string) flow) {
		a.run = func(req Request, x expander) flow { return f(req, x.expand(arg)) }
	}
	switch name {
	case "continue", "last":
		simple(func(Request, string) flow { return stop })
	case "break", "return", "break-with-status":
		simple(func(req Request, s string) flow { respondStatus(req, s); return answered })
	case "goto":
		if arg == "" {
			return a, fmt.Errorf("goto needs a label")
		}
		a.gotoLabel = arg // Run jumps; gotoIndex is resolved by Compile
	case "rewrite", "rewrite-last":
		last := name == "rewrite-last"
		simple(func(req Request, s string) flow {
			p, q, _ := strings.Cut(s, "?")
			req.Rewrite(p, q)
			if last {
				return stop
			}
			return next
		})
	case "redirect", "redirect-302", "redirect-permanent", "redirect-301":
		code := http.StatusFound
		if name == "redirect-permanent" || name == "redirect-301" {
			code = http.StatusMovedPermanently
		}
		simple(func(req Request, s string) flow { req.Respond(code, s, ""); return answered })
	case "addheader":
		simple(func(req Request, s string) flow {
			k, v, _ := strings.Cut(s, ":")
			req.AddHeader(strings.TrimSpace(k), strings.TrimSpace(v))
			return next
		})
	case "delheader", "remheader":
		simple(func(req Request, s string) flow { req.DelHeader(strings.TrimSpace(s)); return next })
	case "addvar":
		simple(func(req Request, s string) flow {
			k, v, _ := strings.Cut(s, "=")
			req.AddVar(k, v)
			return next
		})
	case "log":
		simple(func(req Request, s string) flow { req.Log(s); return next })
	case "donotlog":
		simple(func(req Request, _ string) flow { req.DoNotLog(); return next })
	case "static":
		simple(func(req Request, s string) flow { req.ServeFile(s); return answered })
	case "signal":
		n, err := strconv.Atoi(arg)
		if err != nil || n < 0 || n > 255 {
			return a, fmt.Errorf("signal needs a number 0-255")
		}
		simple(func(req Request, _ string) flow { req.Signal(uint8(n)); return next })
	case "cache":
		simple(func(req Request, s string) flow { return cacheAction(req, s) })
	case "cachestore", "cache-store":
		simple(func(req Request, s string) flow {
			kv := keyvals(s)
			exp, _ := strconv.Atoi(kv["expires"])
			req.CacheStore(kv["name"], kv["key"], exp)
			return next
		})
	case "rpc", "rpcret":
		ret := name == "rpcret"
		simple(func(req Request, s string) flow {
			f := strings.Fields(s)
			if len(f) == 0 {
				return next
			}
			out, err := req.RPC(f[0], f[1:])
			if err != nil {
				req.Log("route rpc " + f[0] + ": " + err.Error())
				req.Respond(http.StatusBadGateway, "", "RPC failed")
				return answered
			}
			if !ret {
				req.Respond(http.StatusOK, "", string(out))
				return answered
			}
			return rpcVerdict(req, strings.TrimSpace(string(out)))
		})
	case "basicauth", "basicauth-next":
		realm, creds, ok := strings.Cut(arg, ",")
		if !ok {
			return a, fmt.Errorf("basicauth needs REALM,USER:PASSWORD or REALM,HTPASSWD-FILE")
		}
		failNext := name == "basicauth-next"
		a.run = func(req Request, x expander) flow {
			if authorized(req, x.expand(creds)) || failNext {
				return next
			}
			req.AddHeader("WWW-Authenticate", `Basic realm="`+x.expand(realm)+`"`)
			req.Respond(http.StatusUnauthorized, "", "Unauthorized")
			return answered
		}
	default:
		return a, fmt.Errorf("unknown or unsupported routing action %q (continue, last, break, return, goto, rewrite, rewrite-last, redirect, redirect-permanent, addheader, delheader, addvar, log, static, signal, cache, basicauth, basicauth-next, cachestore, rpc, rpcret)", name)
	}
	return a, nil
}

// respondStatus answers "STATUS [text]" (uWSGI's break:404 Not Found);
// an empty argument closes the request with an empty answer.
func respondStatus(req Request, s string) {
	code, text, _ := strings.Cut(strings.TrimSpace(s), " ")
	n, err := strconv.Atoi(code)
	if err != nil || n < 100 || n > 999 {
		req.Respond(0, "", "")
		return
	}
	if text == "" {
		text = http.StatusText(n)
	}
	req.Respond(n, "", text)
}

// keyvals reads "k=v,k=v".
func keyvals(s string) map[string]string {
	m := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(kv, "=")
		m[strings.TrimSpace(k)] = v
	}
	return m
}

// rpcVerdict turns what an rpcret function returned into the rule's
// outcome: "next", "continue"/"last", "break", or "STATUS [text]".
func rpcVerdict(req Request, out string) flow {
	switch out {
	case "", "next":
		return next
	case "continue", "last":
		return stop
	case "break":
		req.Respond(0, "", "")
		return answered
	}
	respondStatus(req, out)
	return answered
}

// cacheAction is cache:key=K[,name=CACHE]: answer from the cache on a hit.
func cacheAction(req Request, s string) flow {
	kv := keyvals(s)
	key, name := kv["key"], kv["name"]
	v, ok := req.CacheGet(name, key)
	if !ok {
		return next
	}
	req.Respond(http.StatusOK, "", string(v))
	return answered
}

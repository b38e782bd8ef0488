#!/usr/bin/env python3
# Lists the options of uWSGI 2.0's option tables (core/uwsgi.c and plugins/*/*.c of the uwsgi-2.0 branch)
# for the plugins Debian's uwsgi-core ships and the python plugin, one per line:
# plugin, name, argument kind, short letter, handler. Run it in an extracted uwsgi-2.0 tree:
#   git -C uwsgi archive uwsgi-2.0 core plugins | tar -x -C src && cd src && python3 uwsgi-option-names.py
# uwsgi/config/uwsgi_names_gen.go is made from its output.
import re, os, sys, json
pat = re.compile(r'\{\s*"([a-z0-9][a-z0-9_.-]*)"\s*,\s*(no_argument|required_argument|optional_argument)\s*,\s*(\'.\'|0)\s*,\s*"((?:[^"\\]|\\.)*)"\s*,\s*([A-Za-z0-9_]+)', re.S)
debian = "cache carbon cgi cheaper_backlog2 cheaper_busyness clock_monotonic clock_realtime corerouter echo emperor_amqp emperor_zeromq fastrouter forkptyrouter http logcrypto logfile logpipe logsocket logzmq mongrel2 msgpack nagios notfound pam ping pty rawrouter redislog router_basicauth router_cache router_expires router_hash router_http router_memcached router_metrics router_radius router_redirect router_redis router_rewrite router_static router_uwsgi router_xmldir rpc rrdtool rsyslog signal spooler ssi sslrouter stats_pusher_file stats_pusher_socket stats_pusher_statsd symcall syslog systemd_logger transformation_chunked transformation_gzip transformation_offload transformation_template transformation_tofile transformation_toupper tuntap ugreen webdav xattr zabbix zergpool python".split()
out = []
seen = {}
def scan(group, files):
    for f in sorted(files):
        txt = open(f, errors='replace').read()
        for m in pat.finditer(txt):
            name, arg, short, help, fn = m.groups()
            if name in seen: continue
            seen[name] = group
            out.append((group, name, arg, short.strip("'") if short != '0' else '', fn))
scan('core', ['core/uwsgi.c'])
for p in debian:
    d = 'plugins/' + p
    if not os.path.isdir(d):
        print("missing", p, file=sys.stderr); continue
    scan(p, [os.path.join(d, f) for f in os.listdir(d) if f.endswith('.c')])
for o in out:
    print("\t".join(o))

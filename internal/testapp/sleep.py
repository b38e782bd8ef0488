# testapp's /sleep?ms=N and /view/ for real uWSGI's python3 plugin, so that
# tests and make bench run uwsgo and uWSGI on the same app semantics.
import time
from urllib.parse import parse_qs


def application(env, start_response):
    if env['PATH_INFO'] == '/sleep':
        time.sleep(int(parse_qs(env['QUERY_STRING'])['ms'][0]) / 1000)
    start_response('200 OK', [('Content-Type', 'text/html')])
    return [b'<h1>Hello World</h1>']

# The forwarding tests' web server: serves DIR over HTTP on 127.0.0.1:PORT
# ("tcp PORT", a thread per request) or on a Unix socket ("unix PATH").
# Usage: webserve.py DIR tcp|unix PORT|PATH
import http.server, os, socketserver, sys
os.chdir(sys.argv[1])
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
    def address_string(self): return "peer"
class U(socketserver.UnixStreamServer):
    def get_request(self):
        s, _ = self.socket.accept()
        return s, ("peer", 0)
if sys.argv[2] == "unix":
    srv = U(sys.argv[3], H)
else:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[3])), H)
srv.serve_forever()

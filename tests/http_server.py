"""A real HTTP server on 127.0.0.1 for download tests: no network, no mocked download functions."""

import contextlib
import functools
import http.server
import threading
import time


class _Handler(http.server.SimpleHTTPRequestHandler):
    server_version = "ZooTestServer/1"

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):
        behaviour = self.server.behaviour
        self.server.requests.append(self.path)
        if self.path in behaviour.get("fail", ()):
            self.send_error(500, "Internal Server Error (test)")
            return
        if self.path in behaviour.get("cut", ()):
            path = self.translate_path(self.path)
            data = open(path, "rb").read()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)  # the connection drops mid-file
            return
        if behaviour.get("delay"):
            time.sleep(behaviour["delay"])
        super().do_GET()


@contextlib.contextmanager
def serve(root, **behaviour):
    """Serve the folder `root`; yields the server, with `.url`, `.requests` and `.behaviour`.

    behaviour: `fail=[paths]` answer 500; `cut=[paths]` drop the connection halfway through the
    body; `delay=seconds` before every answer.
    """
    handler = functools.partial(_Handler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []
    server.behaviour = behaviour
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()

"""Serves the test catalog to the Backstage end-to-end tier, as a Git host would.

    python3 catalog_server.py ROOT STATE_DIR [--plain]

Serves the files under ROOT on 127.0.0.1, on a port the kernel picks, over https with a
certificate for 127.0.0.1 signed by a CA made for this run (written to STATE_DIR/ca.pem,
for NODE_EXTRA_CA_CERTS), or over plain http with --plain. Once it listens it prints one
line, `listening PORT`, and serves until it is stopped (SIGTERM). Each request is logged
on stderr as `GET PATH STATUS`, so the test can see what Backstage read.
"""

import datetime
import http.server
import ipaddress
import os
import signal
import ssl
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_certificates(state_dir):
    """A CA and a server certificate for 127.0.0.1 signed by it; returns the server's files."""
    now = datetime.datetime.now(datetime.timezone.utc)
    validity = (now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1))

    def certificate(subject, issuer, key, signing_key, extensions):
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(validity[0])
            .not_valid_after(validity[1])
        )
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(signing_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stagehand e2e test CA")])
    ca = certificate(
        ca_name,
        ca_name,
        ca_key,
        ca_key,
        [
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (x509.KeyUsage(False, False, False, False, False, True, True, False, False), True),
        ],
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = certificate(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]),
        ca_name,
        server_key,
        ca_key,
        [
            (x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False),
            (x509.BasicConstraints(ca=False, path_length=None), True),
        ],
    )
    pem = serialization.Encoding.PEM
    paths = {name: os.path.join(state_dir, name) for name in ("ca.pem", "server.pem", "server-key.pem")}
    with open(paths["ca.pem"], "wb") as out:
        out.write(ca.public_bytes(pem))
    with open(paths["server.pem"], "wb") as out:
        out.write(server.public_bytes(pem))
    with open(paths["server-key.pem"], "wb") as out:
        out.write(
            server_key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    return paths["server.pem"], paths["server-key.pem"]


class Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass

    def log_request(self, code="-", size="-"):
        sys.stderr.write(f"{self.command} {self.path} {code}\n")
        sys.stderr.flush()


def main():
    root, state_dir = sys.argv[1], sys.argv[2]
    plain = "--plain" in sys.argv[3:]
    handler = lambda *args, **kwargs: Handler(*args, directory=root, **kwargs)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if not plain:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*make_certificates(state_dir))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

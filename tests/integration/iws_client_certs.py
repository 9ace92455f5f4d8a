"""Client certificates for the client-certificate tests (integration and
Pascal), made at test time with the openssl command next to conftest's
TlsFiles (whose signing helper they use)."""

import ssl


class ClientCerts:
    """Client CAs and client certificates, next to conftest's TlsFiles:
    clientca signs alice directly and bob through clientinter; rogueca
    (not trusted) signs mallory."""

    def __init__(self, files):
        self.files = files
        client_ext = ("basicConstraints=CA:false\n"
                      "extendedKeyUsage=clientAuth\n")
        ca_ext = ("basicConstraints=critical,CA:true\n"
                  "keyUsage=critical,keyCertSign,cRLSign\n")
        _, self.ca = files._sign("clientca", "/CN=iocpws client CA", None,
                                 ca_ext)
        _, self.inter = files._sign("clientinter", "/CN=iocpws client inter",
                                    "clientca", ca_ext)
        _, self.rogue = files._sign("rogueca", "/CN=rogue CA", None, ca_ext)
        self.alice = files._sign("alice", "/O=iocpws test/CN=alice",
                                 "clientca", client_ext)
        self.bob = files._sign("bob", "/CN=bob", "clientinter", client_ext)
        self.mallory = files._sign("mallory", "/CN=mallory", "rogueca",
                                   client_ext)
        # bob presents his intermediate after his own certificate.
        self.bob_chain = files.path("bob-chain.pem")
        with open(self.bob_chain, "w") as out:
            for part in (self.bob[1], self.inter):
                with open(part) as f:
                    out.write(f.read())

    def context(self, who=None):
        ctx = ssl.create_default_context(cafile=self.files.root)
        if who == "bob":
            ctx.load_cert_chain(self.bob_chain, self.bob[0])
        elif who is not None:
            key, cert = getattr(self, who)
            ctx.load_cert_chain(cert, key)
        return ctx

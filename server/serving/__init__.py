"""How the server is served: the WSGI servers, TLS identity, the plain-HTTP port and mDNS."""

#!/usr/bin/env bash
# Makes throw-away certificates for trying examples/tls.pxy and for the end-to-end tests:
#   ca.pem ca.key        a test CA (trust it with curl --cacert DIR/ca.pem)
#   api.pem api.key      server: api.example.test (the default certificate), 127.0.0.1
#   www.pem www.key      server: www.example.test
#   app.pem app.key      server: app.internal (the origin behind the proxy)
#   client.pem client.key  client: O=Example, CN=alice
#   other.pem other.key  a second server certificate whose key does not match api.pem
# All valid for two days, EC P-256. Usage: scripts/dev-certs.sh DIR
set -euo pipefail

dir=${1:?usage: scripts/dev-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"

quiet() { "$@" >/dev/null 2>&1 || { echo "dev-certs: failed: $*" >&2; "$@"; exit 1; }; }
newkey=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)

quiet openssl req -x509 "${newkey[@]}" -keyout ca.key -out ca.pem -days 2 \
    -subj "/CN=proxyc test CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign

# issue NAME SUBJECT EXTENSIONS
issue() {
    printf '%b' "$3" > "$1.ext"
    quiet openssl req "${newkey[@]}" -keyout "$1.key" -out "$1.csr" -subj "$2"
    quiet openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
        -out "$1.pem" -days 2 -extfile "$1.ext"
    rm -f "$1.csr" "$1.ext"
}

server='extendedKeyUsage=serverAuth\n'
issue api "/CN=api.example.test" "subjectAltName=DNS:api.example.test,IP:127.0.0.1\n$server"
issue www "/CN=www.example.test" "subjectAltName=DNS:www.example.test\n$server"
issue app "/CN=app.internal" "subjectAltName=DNS:app.internal\n$server"
issue client "/O=Example/CN=alice" 'extendedKeyUsage=clientAuth\n'
issue other "/CN=other.example.test" "subjectAltName=DNS:other.example.test\n$server"
echo "dev-certs: certificates in $dir (CA: $dir/ca.pem)" >&2

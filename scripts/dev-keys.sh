#!/usr/bin/env bash
# Makes throw-away signing keys for trying examples/jwt.pxy and for its tests
# (examples/jwt_test.pxy signs tokens with them when it runs):
#   rsa.pem ec.pem       the identity provider's RS256 and ES256 private keys
#   jwks.json            their public keys as a JWKS, kids "rsa-1" and "ec-1"
#   ed25519.pem          the machines' Ed25519 private key, ed25519.pub.pem its public key
#   hs256.key            the legacy HS256 secret (64 hex characters)
#   stranger.pem         an RSA key the proxy does not know
# Private keys are PKCS#8 PEM. Needs openssl and coreutils (basenc). Usage:
#   scripts/dev-keys.sh DIR
set -euo pipefail

dir=${1:?usage: scripts/dev-keys.sh DIR}
mkdir -p "$dir"
cd "$dir"

quiet() { "$@" >/dev/null 2>&1 || { echo "dev-keys: failed: $*" >&2; "$@"; exit 1; }; }
b64url() { basenc --base64url -w0 | tr -d '='; }

quiet openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.pem
quiet openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out stranger.pem
quiet openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec.pem
quiet openssl genpkey -algorithm ED25519 -out ed25519.pem
quiet openssl pkey -in ed25519.pem -pubout -out ed25519.pub.pem
openssl rand -hex 32 > hs256.key

# RSA: the modulus in hex, and the exponent openssl always uses (65537, "AQAB").
n=$(openssl rsa -in rsa.pem -noout -modulus | cut -d= -f2 | basenc --base16 -d | b64url)
# P-256: the public key's DER ends with the uncompressed point 04 || x || y.
openssl pkey -in ec.pem -pubout -outform DER 2>/dev/null | tail -c 64 > ec.point
x=$(head -c 32 ec.point | b64url)
y=$(tail -c 32 ec.point | b64url)
rm -f ec.point
cat > jwks.json <<JSON
{"keys": [
  {"kty": "RSA", "kid": "rsa-1", "alg": "RS256", "use": "sig", "n": "$n", "e": "AQAB"},
  {"kty": "EC", "kid": "ec-1", "alg": "ES256", "use": "sig", "crv": "P-256", "x": "$x", "y": "$y"}
]}
JSON
chmod 600 rsa.pem stranger.pem ec.pem ed25519.pem hs256.key
echo "dev-keys: keys in $dir" >&2

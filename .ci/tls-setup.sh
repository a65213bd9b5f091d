#!/usr/bin/env bash
# TLS for the local test servers (issue 15, item 4): a throw-away CA and a server certificate
# for 127.0.0.1, installed into PostgreSQL and MariaDB so that the TLS tests (tests/it/tls.rs)
# run against real servers. Idempotent; run as root. Existing logins (trust / no password over
# 127.0.0.1 and the Unix sockets) keep working: TLS is offered, never required.
#
# Files in /var/tmp/anonkos-tls/:
#   ca.pem, ca.key              the CA the tests trust (ANONKOS_TEST_TLS_CA)
#   server.pem, server.key      the servers' certificate: IP SAN 127.0.0.1 only, *not*
#                               "localhost", so verify-full against localhost is a name mismatch
#   wrong-ca.pem, wrong-ca.key  a second CA that signed nothing the servers use (wrong-CA test)
#   postgres.key                copy of server.key owned by postgres, mode 0600
#   mysql.key                   copy of server.key owned by mysql, mode 0600
#
# `tls-setup.sh files` only (re)makes the files: .ci/run calls it before it starts the servers,
# because a PostgreSQL configured for TLS refuses to start when its key file is gone (say, a
# cleaned /var/tmp); the full run afterwards configures the running servers.
set -euo pipefail
only_files=0
[ "${1:-}" = files ] && only_files=1

DIR=/var/tmp/anonkos-tls
mkdir -p "$DIR"
chmod 0755 "$DIR"
cd "$DIR"

# A certificate that expires (or a half-written set) is made again; otherwise keep the files so
# that the servers are not restarted on every CI run.
fresh() { [ -s "$1" ] && openssl x509 -in "$1" -noout -checkend 86400 >/dev/null 2>&1; }

if ! fresh ca.pem || ! fresh server.pem || ! fresh wrong-ca.pem || [ ! -s server.key ]; then
  echo "tls-setup: making a CA and a server certificate in $DIR"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
    -subj "/CN=anonkos test CA" -keyout ca.key -out ca.pem 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
    -subj "/CN=anonkos wrong CA" -keyout wrong-ca.key -out wrong-ca.pem 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -sha256 -subj "/CN=127.0.0.1" \
    -keyout server.key -out server.csr 2>/dev/null
  cat > server.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
EOF
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
    -sha256 -extfile server.ext -out server.pem 2>/dev/null
  rm -f server.csr ca.srl
fi
chmod 0600 ca.key wrong-ca.key server.key
chmod 0644 ca.pem wrong-ca.pem server.pem

# Each server reads its key as its own user, mode 0600 (PostgreSQL refuses anything looser).
install_key() { # user file
  if ! cmp -s server.key "$2" 2>/dev/null || [ "$(stat -c %U:%a "$2")" != "$1:600" ]; then
    install -m 0600 -o "$1" -g "$1" server.key "$2"
    return 0
  fi
  return 1
}

if [ "$only_files" = 1 ]; then
  if id postgres >/dev/null 2>&1; then install_key postgres "$DIR/postgres.key" || true; fi
  if id mysql >/dev/null 2>&1; then install_key mysql "$DIR/mysql.key" || true; fi
  echo "tls-setup: files ready in $DIR"
  exit 0
fi

# --- PostgreSQL ---------------------------------------------------------------------------
if id postgres >/dev/null 2>&1 && pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  pg_changed=0
  install_key postgres "$DIR/postgres.key" && pg_changed=1
  psql_q() { su postgres -s /bin/sh -c "psql -X -q -t -A -c \"$1\"" ; }
  want() { # setting value
    if [ "$(psql_q "SHOW $1")" != "$2" ]; then
      psql_q "ALTER SYSTEM SET $1 = '$2'" >/dev/null
      pg_changed=1
    fi
  }
  want ssl on
  want ssl_cert_file "$DIR/server.pem"
  want ssl_key_file "$DIR/postgres.key"
  want ssl_ca_file "$DIR/ca.pem"
  if [ "$pg_changed" = 1 ]; then
    # SSL settings take effect at a reload (PostgreSQL 10+); a bad file keeps the old ones
    # and logs the reason, so check that the new certificate is really served.
    psql_q "SELECT pg_reload_conf()" >/dev/null
    sleep 1
  fi
  served=$(echo | openssl s_client -starttls postgres -connect 127.0.0.1:5432 2>/dev/null \
    | openssl x509 -noout -fingerprint -sha256 2>/dev/null || true)
  [ "$served" = "$(openssl x509 -in server.pem -noout -fingerprint -sha256)" ] \
    || { echo "tls-setup: PostgreSQL does not serve $DIR/server.pem (see its log)"; exit 1; }
  echo "tls-setup: PostgreSQL serves the test certificate"
else
  echo "tls-setup: PostgreSQL not running on 127.0.0.1:5432; skipped"
fi

# --- MariaDB ------------------------------------------------------------------------------
if command -v mariadbd >/dev/null 2>&1 && id mysql >/dev/null 2>&1; then
  my_changed=0
  install_key mysql "$DIR/mysql.key" && my_changed=1
  confdir=/etc/mysql/mariadb.conf.d
  mkdir -p "$confdir"
  # Debian's my.cnf includes the directory; a minimal one may not.
  if ! grep -qs "^!includedir $confdir" /etc/mysql/my.cnf; then
    printf '\n!includedir %s/\n' "$confdir" >> /etc/mysql/my.cnf
    my_changed=1
  fi
  conf="$confdir/90-anonkos-tls.cnf"
  new=$(printf '[mysqld]\nssl_ca = %s/ca.pem\nssl_cert = %s/server.pem\nssl_key = %s/mysql.key\n' \
    "$DIR" "$DIR" "$DIR")
  if [ "$(cat "$conf" 2>/dev/null)" != "$new" ]; then
    printf '%s\n' "$new" > "$conf"
    my_changed=1
  fi
  have_ssl=$(mariadb -h 127.0.0.1 -P 3306 -u root -N -B -e "SELECT @@have_ssl" 2>/dev/null || true)
  if [ "$my_changed" = 1 ] || [ "$have_ssl" != "YES" ]; then
    echo "tls-setup: restarting MariaDB (config changed or TLS off: have_ssl=${have_ssl:-down})"
    if mariadb-admin -u root ping >/dev/null 2>&1; then
      mariadb-admin -u root shutdown
    fi
    for _ in $(seq 1 30); do
      { pgrep -x mariadbd || pidof mariadbd; } >/dev/null 2>&1 || break
      sleep 1
    done
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
    for _ in $(seq 1 30); do
      mariadb-admin -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1 && break
      sleep 1
    done
    have_ssl=$(mariadb -h 127.0.0.1 -P 3306 -u root -N -B -e "SELECT @@have_ssl" 2>/dev/null || true)
  fi
  [ "$have_ssl" = "YES" ] \
    || { echo "tls-setup: MariaDB has no TLS (have_ssl=${have_ssl:-down}; see /var/log/mysql/error.log)"; exit 1; }
  echo "tls-setup: MariaDB serves TLS"
else
  echo "tls-setup: MariaDB not installed; skipped"
fi

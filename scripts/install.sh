#!/bin/sh
# Installs passgate as a service on Debian or Raspberry Pi OS. Idempotent: run it again
# to upgrade or repair. See docs/operations.md.
#
#   sudo sh scripts/install.sh [--dry-run] [passgate-X.Y.Z.tgz]
#
# The package is installed from a tarball (`npm pack` of this checkout when none is given)
# into its own prefix, /opt/passgate, with `npm install -g --prefix`: production
# dependencies only, native modules from their prebuilt binaries where one exists for
# the machine, and nothing mixed into the system's global npm folder. /usr/local/bin/passgate
# links to it. The gate is not started until /etc/passgate/passgate.yaml exists.
#
# --dry-run prints every step it would take (one "would run:" line each) and changes
# nothing; it needs no root. Exit codes: 0 done, 1 a step failed, 2 usage error.
set -eu

PREFIX=${PASSGATE_PREFIX:-/opt/passgate}
ETC_DIR=${PASSGATE_ETC_DIR:-/etc/passgate}
STATE_DIR=/var/lib/passgate
UNIT_DIR=/etc/systemd/system
UDEV_DIR=/etc/udev/rules.d
USER_NAME=passgate
RUNTIME_PACKAGES="libusb-1.0-0 libudev1 udev"
BUILD_PACKAGES="g++ make python3"
SCRIPTS=$(cd "$(dirname "$0")" && pwd)
REPO=$(dirname "$SCRIPTS")

DRY_RUN=0
TARBALL=""
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY_RUN=1 ;;
    -h | --help)
      sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "install.sh: unknown option $arg (see --help)" >&2
      exit 2
      ;;
    *) TARBALL=$arg ;;
  esac
done

say() { printf '%s\n' "$*"; }
fail() {
  printf 'install.sh: %s\n' "$*" >&2
  exit 1
}
# Runs a step, or with --dry-run prints it.
run() {
  if [ "$DRY_RUN" -eq 1 ]; then
    say "would run: $*"
  else
    say "+ $*"
    "$@"
  fi
}

# 1. Node.js >= 20.12 (package.json engines).
command -v node >/dev/null 2>&1 || fail "Node.js 20.12 or newer is needed: install it first (Debian 13: apt-get install nodejs npm; else NodeSource)"
NODE_VERSION=$(node -p 'process.versions.node')
NODE_MAJOR=${NODE_VERSION%%.*}
NODE_MINOR=$(printf '%s' "$NODE_VERSION" | cut -d. -f2)
if [ "$NODE_MAJOR" -lt 20 ] || { [ "$NODE_MAJOR" -eq 20 ] && [ "$NODE_MINOR" -lt 12 ]; }; then
  fail "Node.js $NODE_VERSION is too old: 20.12 or newer is needed"
fi
command -v npm >/dev/null 2>&1 || fail "npm is missing: apt-get install npm"
say "node $NODE_VERSION"
if [ "$DRY_RUN" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  fail "run as root (sudo sh $0), or with --dry-run to see the steps"
fi

# 2. Runtime libraries of the native modules (node-hid, serial port listing) and udev.
run apt-get update
run apt-get install -y --no-install-recommends $RUNTIME_PACKAGES

# 3. The service user, and the groups readers usually belong to.
if getent passwd "$USER_NAME" >/dev/null 2>&1; then
  say "user $USER_NAME exists"
else
  run useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
fi
for group in dialout plugdev input; do
  if getent group "$group" >/dev/null 2>&1; then
    if id -nG "$USER_NAME" 2>/dev/null | tr ' ' '\n' | grep -qx "$group"; then
      say "user $USER_NAME is in group $group"
    else
      run usermod -a -G "$group" "$USER_NAME"
    fi
  fi
done

# 4. Config (root-owned, readable by the service) and state (the database) folders.
run install -d -m 0750 -o root -g "$USER_NAME" "$ETC_DIR"
run install -d -m 0750 -o "$USER_NAME" -g "$USER_NAME" "$STATE_DIR"

# 5. The package, from a tarball.
if [ -z "$TARBALL" ]; then
  [ -f "$REPO/package.json" ] || fail "no tarball given and no passgate checkout around $SCRIPTS"
  if [ "$DRY_RUN" -eq 1 ]; then PACK_DIR="\$TMPDIR"; else PACK_DIR=$(mktemp -d); fi
  run npm pack --silent --pack-destination "$PACK_DIR" "$REPO"
  TARBALL="$PACK_DIR/passgate-$(node -p "require('$REPO/package.json').version").tgz"
fi
if [ "$DRY_RUN" -eq 1 ]; then
  run npm install -g --omit=dev --prefix "$PREFIX" "$TARBALL"
elif ! run npm install -g --omit=dev --prefix "$PREFIX" "$TARBALL"; then
  # No prebuilt binary of a native module for this machine: build it from source.
  say "npm install failed; installing build tools ($BUILD_PACKAGES) and trying again"
  run apt-get install -y --no-install-recommends $BUILD_PACKAGES
  run npm install -g --omit=dev --prefix "$PREFIX" "$TARBALL"
fi
run ln -sf "$PREFIX/bin/passgate" /usr/local/bin/passgate

# 6. udev rules for the readers.
run install -m 0644 "$SCRIPTS/99-passgate-readers.rules" "$UDEV_DIR/99-passgate-readers.rules"
run udevadm control --reload
run udevadm trigger --subsystem-match=tty --subsystem-match=hidraw --subsystem-match=input

# 7. The systemd units: the gate, and the services that may run beside it on a site (a
#    reader bridge on a turnstile's board, the guard's console, the guardian notifier).
#    Each is installed everywhere and started only where its config exists.
for unit in passgate passgate-bridge passgate-console passgate-notify; do
  run install -m 0644 "$SCRIPTS/$unit.service" "$UNIT_DIR/$unit.service"
done
run systemctl daemon-reload

# 8. Start only what has a config.
started=0
for pair in passgate:passgate.yaml passgate-bridge:passgate-bridge.yaml \
  passgate-console:console.yaml passgate-notify:passgate-notify.yaml; do
  unit=${pair%%:*}
  file=${pair#*:}
  if [ -f "$ETC_DIR/$file" ]; then
    run systemctl enable "$unit"
    run systemctl restart "$unit"
    say "$unit is running: systemctl status $unit"
    started=1
  fi
done
if [ "$started" -eq 0 ]; then
  say "next: write the gate's config, then start it:"
  say "  sudo passgate --config $ETC_DIR/passgate.yaml init"
  say "  sudo systemctl enable --now passgate"
  say "(on a turnstile's board: passgate bridge init, then systemctl enable --now passgate-bridge;"
  say " for the site's console or notifier: docs/console.md, docs/notices.md)"
fi

#!/bin/sh
# Install lapas-kiosk on a kiosk, guard-station or HQ machine (Debian 12). Run as root from the source tree:
#   sh deploy/install.sh kiosk|guard|hq
set -eu
ROLE="${1:?usage: install.sh kiosk|guard|hq}"
SRC="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX=/opt/lapas-kiosk

apt-get update
apt-get install -y python3 python3-venv xserver-xorg-core xserver-xorg-input-libinput espeak-ng fonts-noto-core \
    libsdl2-2.0-0 libsdl2-image-2.0-0 libsdl2-ttf-2.0-0 libmtdev1 libgl1 libegl1
id lapas >/dev/null 2>&1 || useradd --system --home /var/lib/lapas --create-home --groups dialout lapas

mkdir -p "$PREFIX"
cp -a "$SRC"/. "$PREFIX"/
rm -rf "$PREFIX/.venv" "$PREFIX/demo-data"
python3 -m venv "$PREFIX/.venv"
# editable: the code finds assets/ (fonts, translations, images) next to the packages in $PREFIX
"$PREFIX/.venv/bin/pip" install --quiet -e "$PREFIX"
# byte-compile now: the services run as `lapas`, which cannot write __pycache__ under $PREFIX, and would otherwise
# compile every module from source at each start (~30 ms for `lapas sync`, more for the kiosk window)
"$PREFIX/.venv/bin/python" -m compileall -q "$PREFIX/kiosk" "$PREFIX/hardware" "$PREFIX/sync" "$PREFIX/hq"

case "$ROLE" in
  kiosk|guard)
    sudo -u lapas env LAPAS_HOME=/var/lib/lapas "$PREFIX/.venv/bin/lapas" init --role "$ROLE"
    install -m 644 "$SRC/deploy/lapas-xorg.service" "$SRC/deploy/lapas-sync.service" \
        "$SRC/deploy/lapas-purge.service" "$SRC/deploy/lapas-purge.timer" \
        "$SRC/deploy/lapas-$ROLE.service" /etc/systemd/system/
    [ "$ROLE" = kiosk ] && UNIT=lapas-kiosk || UNIT=lapas-guard
    systemctl daemon-reload
    systemctl enable lapas-xorg lapas-sync "$UNIT"
    systemctl enable --now lapas-purge.timer
    echo "next: lapas enroll --hq URL --code CODE; lapas maintenance set-pin; set printer/scanner ports in"
    echo "      /var/lib/lapas/lapas.toml; then: systemctl start lapas-xorg lapas-sync $UNIT"
    ;;
  hq)
    id lapas-hq >/dev/null 2>&1 || useradd --system --home /var/lib/lapas-hq --create-home lapas-hq
    install -m 644 "$SRC/deploy/lapas-hq.service" "$SRC/deploy/lapas-hq-retention.service" \
        "$SRC/deploy/lapas-hq-retention.timer" /etc/systemd/system/
    systemctl daemon-reload
    systemctl enable --now lapas-hq lapas-hq-retention.timer
    ;;
  *) echo "unknown role $ROLE" >&2; exit 2 ;;
esac

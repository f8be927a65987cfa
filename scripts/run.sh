#!/bin/sh
# `make run`: creates the node in $NODE (party $PARTY) with the example directory if there is
# none, prints the URL and the admin token on lines of their own, and runs isxd in the
# foreground. The token is created once and kept in $NODE/admin.token, so every run prints
# the same one.
set -eu
NODE=${NODE:-var/node}
PARTY=${PARTY:-CN}

if [ ! -f "$NODE/isx.conf" ]; then
    mkdir -p "$(dirname "$NODE")"
    build/isx init --dir "$NODE" --party "$PARTY" --examples examples/directory.json >/dev/null
    echo "run: created a node of party $PARTY in $NODE"
else
    have=$(sed -n 's/^party *= *//p' "$NODE/isx.conf")
    if [ "$have" != "$PARTY" ] && [ "$PARTY" != "CN" ]; then
        echo "run: $NODE already holds a node of party $have; use NODE=var/node-$(echo "$PARTY" | tr 'A-Z' 'a-z') PARTY=$PARTY make run" >&2
        exit 2
    fi
fi

port=$(sed -n 's/^port *= *//p' "$NODE/isx.conf")
listen=$(sed -n 's/^listen *= *//p' "$NODE/isx.conf")
echo "isx node: http://${listen:-127.0.0.1}:${port:-8440}/"
echo "admin token: $(cat "$NODE/admin.token")"
echo "try: ISX_TOKEN=\$(cat $NODE/admin.token) build/isx poc list --lang ru"
exec build/isxd -d "$NODE"

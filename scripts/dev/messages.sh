#!/bin/sh
# Regenerates data/messages.json: the core table in messages-core.py plus every
# scripts/dev/messages-*.json (one file per area, so parallel work does not collide).
set -eu
cd "$(dirname "$0")/../.."
python3 scripts/dev/messages-core.py scripts/dev/messages-*.json > data/messages.json.tmp
mv data/messages.json.tmp data/messages.json

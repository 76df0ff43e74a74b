#!/bin/sh
set -e
case "$1" in
  server) shift; exec /usr/bin/weed -logtostderr=true server -dir=/data "$@" ;;
  *) exec /usr/bin/weed "$@" ;;
esac

#!/usr/bin/env bash
# Makes the Java runtime image the GPU machine runs Kiln with (it has no Java): a jlink image of JDK 25 holding
# only the modules kiln.jar needs, at cuda/target/kiln-jre (45 MB). Run on the development machine after
# ./mvnw package; carry cuda/target/kiln-jre and cli/target/kiln.jar to the GPU machine, then run cuda/gpu-check.sh.
# MODULES overrides the list (jdeps --print-module-deps cli/target/kiln.jar shows everything the jar's libraries
# could touch; the default leaves out java.desktop (kiln plot), java.sql and the debugger/attach/compiler modules, which
# the GPU checks never load: 45 MB, so image + jar fit the 64 MiB a device call carries).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
MODULES=${MODULES:-java.base,jdk.incubator.vector,java.logging,jdk.unsupported,java.management,java.net.http,jdk.httpserver}
out="$root/cuda/target/kiln-jre"
rm -rf "$out"
"$JAVA_HOME/bin/jlink" --add-modules "$MODULES" --strip-debug --no-header-files --no-man-pages --compress zip-9 --output "$out"
du -sh "$out"

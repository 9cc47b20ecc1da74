#!/usr/bin/env bash
# Kernel microbenchmarks (JMH): builds the bench module's test classes and runs KernelBenchmarks.
# Usage: bench/jmh.sh [JMH options, e.g. -p type=Q4_K -f 1 -wi 2 -i 3]
set -euo pipefail
cd "$(dirname "$0")/.."
# one reactor build: the bench module (last) writes the classpath file last
./mvnw -q -B -pl bench -am test-compile dependency:build-classpath -DskipTests \
  -Dmdep.includeScope=test -Dmdep.outputFile="$PWD/bench/target/jmh.classpath" >/dev/null
cp="bench/target/test-classes:bench/target/classes:runtime/target/classes:tensor/target/classes:$(cat bench/target/jmh.classpath)"
exec "${JAVA_HOME:-/usr}/bin/java" --add-modules jdk.incubator.vector -cp "$cp" org.openjdk.jmh.Main "${JMH_BENCHMARKS:-KernelBenchmarks}" "$@"

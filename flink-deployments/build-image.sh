#!/usr/bin/env bash
# Builds the imgindex container image: assembles the build context in flink-deployments/target/image from the
# Maven build (job jar, TensorFlow jars, index server class path, converted models), then runs docker build.
#
#   flink-deployments/build-image.sh [--gpu] [--base IMAGE] [--context-only]
#
# --gpu: TensorFlow's CUDA natives, tag suffix -gpu (give --base: a Flink 1.20.5 image with CUDA 12.5 and cuDNN
# 9.3). --context-only: stop after assembling the context (for a builder other than docker, e.g. kaniko).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
gpu=false base="" context_only=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --gpu) gpu=true ;;
    --base) base="$2"; shift ;;
    --context-only) context_only=true ;;
    *) echo "usage: $0 [--gpu] [--base IMAGE] [--context-only]" >&2; exit 2 ;;
  esac
  shift
done

cd "$root"
version="$(sed -n 's:^  <version>\(.*\)</version>:\1:p' pom.xml | head -n1)"
profile=()
$gpu && profile=(-Pgpu)
mvn -q -B -DskipTests "${profile[@]}" package

ctx="$root/flink-deployments/target/image"
rm -rf "$ctx"
mkdir -p "$ctx/lib" "$ctx/usrlib" "$ctx/models" "$ctx/server/lib" "$ctx/server/conf"
cp "jobs/target/imgindex-jobs-$version-job.jar" "$ctx/usrlib/"
# TensorFlow Java and what it needs, from the job's provided class path (what the cluster supplies).
tr ':' '\n' < jobs/target/launcher/provided.classpath \
  | grep -E '/(tensorflow-core-(api|native)|ndarray|javacpp|protobuf-java)-[^/]*\.jar$' \
  | xargs -I{} cp {} "$ctx/lib/"
# The index server and its class path.
ls index-server/target/imgindex-index-server-"$version".jar >/dev/null
cp index-server/target/imgindex-index-server-"$version".jar "$ctx/server/lib/"
tr ':' '\n' < index-server/target/launcher/runtime.classpath | xargs -I{} cp {} "$ctx/server/lib/"
cp bin/conf/log4j2.properties "$ctx/server/conf/"
cat > "$ctx/server/serve" <<'SH'
#!/bin/sh
# The index server in the imgindex image (/opt/imgindex/server/serve): bin/imgindex serve without the build.
here="$(cd "$(dirname "$0")" && pwd)"
exec java -Dlog4j2.configurationFile="$here/conf/log4j2.properties" \
  -Dimgindex.log.level="${IMGINDEX_LOG_LEVEL:-WARN}" -Dimgindex.app.log.level="${IMGINDEX_LOG_LEVEL:-INFO}" \
  -Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager --add-modules jdk.incubator.vector \
  ${IMGINDEX_JAVA_OPTS:-} \
  -cp "$here/lib/*" io.imgindex.server.ServeCli "$@"
SH
chmod +x "$ctx/server/serve"
# The default model, converted with npm pack as on a workstation.
IMGINDEX_MODEL_CACHE="$ctx/models" IMGINDEX_BUILD=never bin/imgindex import-model --model mobilenet-v2-140
cp flink-deployments/Dockerfile "$ctx/"

tag="imgindex/imgindex:$version"
$gpu && tag="$tag-gpu"
if $context_only; then
  echo "build context in $ctx (docker build -t $tag $ctx)"
  exit 0
fi
args=()
[[ -n "$base" ]] && args+=(--build-arg "BASE_IMAGE=$base")
docker build "${args[@]}" -t "$tag" "$ctx"
echo "built $tag"

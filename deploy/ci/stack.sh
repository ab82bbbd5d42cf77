#!/usr/bin/env bash
# CI stage: build every image and run the compose stack (deploy/ci/stack_scenario.py says what it checks).
# Needs root on a Debian machine; installs and starts dockerd when missing. Upstream images cannot be pulled
# here, so the stand-ins of deploy/local/ are built (or reused) and the CPU trainer is built in place of the CUDA one.
# Run from a checkout whose .venv holds the project (the README's install line), after the test command.
set -euo pipefail
cd "$(dirname "$0")/../.."
started=$(date +%s)
python=.venv/bin/python

if ! command -v dockerd >/dev/null || ! command -v docker-compose >/dev/null; then
  echo "stack: installing docker.io and docker-compose"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io docker-compose >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  echo "stack: starting dockerd"
  (dockerd >/tmp/spaceport-dockerd.log 2>&1 &)
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null
fi

# Secrets come from the environment: random ones unless CI provides them (they must reach no log line).
for name in SPACEPORT_RABBITMQ_PASSWORD SPACEPORT_S3_SECRET_KEY SPACEPORT_POSTGRES_PASSWORD SPACEPORT_MONITOR_API_TOKEN; do
  [[ -n "${!name:-}" ]] || export "$name=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
done
# Publish on random loopback ports: the host's own RabbitMQ and PostgreSQL hold 5672 and 5432.
export SPACEPORT_PUBLISH_AMQP=127.0.0.1: SPACEPORT_PUBLISH_RABBITMQ_UI=127.0.0.1: SPACEPORT_PUBLISH_S3=127.0.0.1: \
       SPACEPORT_PUBLISH_S3_CONSOLE=127.0.0.1: SPACEPORT_PUBLISH_MONITOR=127.0.0.1:
export COMPOSE_PROJECT_NAME=spaceport-ci SPACEPORT_STACK_PROJECT=spaceport-ci
local_files=(-f compose.yaml -f deploy/local/compose.local.yaml)

echo "stack: docker-compose config of the production file and of the local override"
docker-compose -f compose.yaml config -q
docker-compose "${local_files[@]}" config -q
grep -q 'image: rabbitmq:3.13-management' compose.yaml && grep -q 'image: minio/minio' compose.yaml \
  && grep -q 'image: postgres:16' compose.yaml || { echo "stack: compose.yaml must name the upstream images" >&2; exit 1; }

build_started=$(date +%s)
deploy/local/build-standins.sh
# The CPU trainer installs torch from the local wheel (pip's find-links here); containers cannot see it.
wheel=$(ls /opt/wheels/torch-2.13.0+cpu-*.whl 2>/dev/null | head -1 || true)
if [[ -n "$wheel" ]]; then
  cp -u "$wheel" deploy/wheels/
  export SPACEPORT_TORCH_REQUIREMENT=torch==2.13.0+cpu
fi
docker-compose "${local_files[@]}" build
build_s=$(( $(date +%s) - build_started ))
docker images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^spaceport' | sed 's/^/stack: image /'

# No GPU here: drop the trainer's GPU reservation (Compose v1 overrides cannot remove it) in a rendered copy.
rendered=$(mktemp --suffix=.yaml)
trap 'rm -f "$rendered"' EXIT
docker-compose "${local_files[@]}" config > "$rendered"
$python - "$rendered" <<'PY'
import sys, yaml
path = sys.argv[1]
spec = yaml.safe_load(open(path))
for service in spec["services"].values():
    service.get("deploy", {}).get("resources", {}).get("reservations", {}).pop("devices", None)
yaml.safe_dump(spec, open(path, "w"), sort_keys=False)
PY

scenario_started=$(date +%s)
PYTHONPATH=deploy/ci $python deploy/ci/stack_scenario.py "$rendered"
total=$(( $(date +%s) - started ))
echo "stack: finished in ${total} s: image build ${build_s} s ($(( 100 * build_s / total ))%)," \
     "scenario $(( $(date +%s) - scenario_started )) s"
